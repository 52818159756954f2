"""Layout measured from the element boxes: on a 375 px phone the server's id overlaps
nothing, at 1024 px no cell of the list is cut off or scrolled out of sight, and dates
never break inside nor leave their cell."""

import pytest
from playwright.sync_api import expect

from backupsui.audit.models import Action, Outcome
from backupsui.audit.recorder import note
from tests.e2e.conftest import sign_in

OVERLAPS = """() => {
  const cut = (a, b) => a.right > b.left + 0.5 && b.right > a.left + 0.5 &&
                        a.bottom > b.top + 0.5 && b.bottom > a.top + 0.5;
  const found = [];
  document.querySelectorAll("table.backups tbody tr").forEach((row) => {
    const id = row.querySelector("td.server .muted").getBoundingClientRect();
    row.querySelectorAll("td:not(.server)").forEach((cell) => {
      if (cut(id, cell.getBoundingClientRect())) { found.push(row.id + " " + cell.dataset.label); }
    });
  });
  return found;
}"""

HIDDEN = """() => {
  const found = [];
  document.querySelectorAll(".table-wrap").forEach((wrap) => {
    const box = wrap.getBoundingClientRect();
    wrap.querySelectorAll("td a, td time, td .badge").forEach((el) => {
      const r = el.getBoundingClientRect();
      if (r.right > box.right + 0.5 || r.left < box.left - 0.5) { found.push(el.textContent); }
    });
    if (wrap.scrollWidth > wrap.clientWidth) { found.push("the table scrolls"); }
  });
  return found;
}"""

BROKEN_DATES = """() => [...document.querySelectorAll("main td time")].filter((t) => {
  const cell = t.closest("td").getBoundingClientRect(), box = t.getBoundingClientRect();
  return t.getClientRects().length > 1 || box.right > cell.right + 0.5;
}).map((t) => t.textContent)"""


@pytest.mark.parametrize("path", ["/backups/", "/backups/?server_id=12345"])
def test_it_keeps_the_server_id_clear_of_the_type_on_a_phone(watched, live_server, people, path):
    page = watched
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, live_server.url, "olivia")
    page.goto(live_server.url + path)
    expect(page.locator("table.backups tbody tr").first).to_be_visible()
    assert page.evaluate(OVERLAPS) == []
    assert page.evaluate(BROKEN_DATES) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.mark.parametrize("path", ["/backups/", "/servers/", "/audit/"])
def test_it_shows_every_cell_whole_at_1024_pixels(watched, live_server, people, world, path):
    world.state.create_backup("acme", 12345, "a rather long description " * 4)
    note(
        None,
        Action.BACKUP_REQUESTED,
        Outcome.REFUSED,
        actor_username="olivia",
        server_id=12347,
        server_name="cache-server-03",
        message="refused " * 20,
    )
    page = watched
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, live_server.url, "olivia")
    page.goto(live_server.url + path)
    expect(page.locator("main table tbody tr").first).to_be_visible()
    assert page.evaluate(HIDDEN) == []
    assert page.evaluate(BROKEN_DATES) == []
