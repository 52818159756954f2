"""A restore confirmation and a server's page, as people read them in a browser: the
confirmation warns as much after a refused send, a 409 and confirming who one is as it did
at first; the size chart has its two axes, spans the days that have backups and tells its
series apart without colour; every focusable thing gets the panel's 3 px ring."""

import re

from playwright.sync_api import expect

from backupsui.audit.models import Action, Outcome
from backupsui.audit.recorder import note
from tests.e2e.conftest import age_session, sign_in
from tests.e2e.test_panel_in_browser import tab_to


def oldest(world, server_id=12345):
    return min(
        (
            b
            for b in world.state.backups.values()
            if b.server.id == server_id and b.backup_type == "automatic"
        ),
        key=lambda b: b.created_at,
    )


def warns(page, age: str) -> None:
    expect(page.locator(".restore-age")).to_have_text(f"This backup was taken {age}.")
    expect(page.locator(".restore-newer")).to_contain_text("A newer completed backup")


def test_it_warns_as_much_on_every_answer_of_the_restore_confirmation(
    watched, live_server, people, world
):
    page = watched
    sign_in(page, live_server.url, "olivia")
    backup = oldest(world)
    page.goto(f"{live_server.url}/servers/12345/restore/?backup_id={backup.id}")
    age = page.locator(".restore-age").inner_text().removeprefix("This backup was taken ")[:-1]
    assert "ago" in age
    warns(page, age)
    # A wrong name: the 400 warns the same, the safety choice kept.
    page.get_by_label("to confirm").fill("web-server-02")
    page.get_by_label("Take a safety backup").uncheck()
    page.get_by_role("button", name="Restore this server").click()
    expect(page.locator("#id_confirm-error")).to_be_visible()
    warns(page, age)
    expect(page.get_by_label("Take a safety backup")).not_to_be_checked()
    # Someone else's restore meanwhile: the 409 warns the same.
    note(None, Action.RESTORE_REQUESTED, Outcome.ACCEPTED, actor_username="sam", server_id=12345)
    page.get_by_label("to confirm").fill("web-server-01")
    page.get_by_role("button", name="Restore this server").click()
    expect(page.get_by_text("so nothing was sent", exact=False)).to_be_visible()
    warns(page, age)
    # Confirming who one is first: the form carried out afterwards warns the same.
    age_session(page)
    page.get_by_label("to confirm").fill("web-server-0")
    page.get_by_role("button", name="Restore this server").click()
    page.get_by_label("Password").fill("correct horse battery staple")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#id_confirm-error")).to_be_visible()
    warns(page, age)
    assert world.state.servers[12345].status == "active"


CHART = """() => {
  const svg = document.querySelector("svg.chart");
  const plot = svg.viewBox.baseVal;
  const marks = [...svg.querySelectorAll("path.point:not(.odd)")].map((p) => p.getBBox());
  const dashes = (selector) => {
    const line = svg.querySelector(selector);
    return line ? getComputedStyle(line).strokeDasharray : "";
  };
  return {
    dates: [...svg.querySelectorAll(".ticks-time text")].map((t) => t.textContent),
    sizes: [...svg.querySelectorAll(".ticks-size text")].map((t) => t.textContent),
    leftmost: Math.min(...marks.map((b) => b.x)),
    rightmost: Math.max(...marks.map((b) => b.x + b.width)),
    width: 600,
    shapes: [...new Set([...svg.querySelectorAll("path.point")].map((p) =>
      [...p.classList].find((c) => c.startsWith("shape-"))))].sort(),
    automatic: dashes("polyline.series-automatic"),
    manual: dashes("polyline.series-manual"),
  };
}"""


def test_it_draws_the_size_chart_with_axes_over_the_days_with_backups(
    watched, live_server, people, world
):
    page = watched
    sign_in(page, live_server.url, "olivia")
    page.goto(f"{live_server.url}/servers/12345/")
    expect(page.locator("svg.chart")).to_be_visible()
    chart = page.evaluate(CHART)
    assert len(chart["dates"]) >= 3
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", day) for day in chart["dates"])
    assert len(chart["sizes"]) >= 3 and all(s.endswith(("GB", "MB")) for s in chart["sizes"])
    assert chart["sizes"][0] not in ("0 MB", "0.0 GB")  # scaled to the data, not from 0
    # The days that have backups fill the chart, not its right third.
    assert chart["leftmost"] < 0.1 * chart["width"] and chart["rightmost"] > 0.9 * chart["width"]
    assert {"shape-circle", "shape-square"} <= set(chart["shapes"])
    assert chart["automatic"] in ("none", "") and chart["manual"] not in ("none", "")
    page.get_by_text("The sizes as a table").click()
    expect(page.locator("#story-sizes-table caption")).to_have_text(
        "Size of each completed backup in the chart, oldest first"
    )


RING = """() => {
  const style = getComputedStyle(document.activeElement);
  return [style.outlineStyle, style.outlineWidth];
}"""


def test_it_rings_every_focused_thing_alike(watched, live_server, people, world):
    page = watched
    sign_in(page, live_server.url, "olivia")
    page.goto(f"{live_server.url}/servers/12345/")
    for selector in ("#story-sizes-table > summary", "a[href='/servers/']", "#language-choice"):
        tab_to(page, selector)
        assert page.evaluate(RING) == ["solid", "3px"], selector
    page.goto(f"{live_server.url}/backups/")
    tab_to(page, "a[rel=next]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="51–96 of 96")).to_be_focused()
    assert page.evaluate(RING) == ["solid", "3px"]
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{live_server.url}/audit/")
    tab_to(page, "details.fold > summary")
    assert page.evaluate(RING) == ["solid", "3px"]
