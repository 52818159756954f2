"""The document after several htmx swaps on the list, servers and audit pages: one element
per id, one results region, no <title> in the body and the tab's title set, and axe (every
rule, every impact, nothing left to review) with the Filters open, light, dark and phone."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from backupsui.audit.models import Action, Outcome
from backupsui.audit.recorder import note
from tests.e2e.conftest import sign_in

PHONE = {"width": 375, "height": 812}

SHAPE = """(results) => {
  const ids = [...document.querySelectorAll("[id]")].map((e) => e.id);
  return {
    doubled: ids.filter((id, i) => ids.indexOf(id) !== i),
    results: document.querySelectorAll("#" + results).length,
    nested: document.querySelectorAll("section section").length,
    titles: document.querySelectorAll("body title").length,
  };
}"""


def settled(page) -> None:
    """No htmx request in flight (htmx marks the element that sent one with .htmx-request)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def everything(page) -> dict[str, list[str]]:
    """axe's violations of any impact, and what it could not decide ("incomplete"), on a
    page no swap is landing on."""
    settled(page)
    page.evaluate("document.querySelectorAll('details.fold').forEach((d) => { d.open = true; })")
    found = Axe().run(page).response
    return {
        kind: [
            f"{v['id']}: {v['help']} at {n['target']}: {[c['message'] for c in n['any']]}"
            for v in found[kind]
            for n in v["nodes"]
        ]
        for kind in ("violations", "incomplete")
    }


def list_swaps(page):
    page.get_by_label("Type").select_option("manual")
    expect(page.get_by_role("heading", name="1–6 of 6")).to_be_visible()
    page.get_by_label("Type").select_option("")
    expect(page.get_by_role("heading", name="1–50 of 96")).to_be_visible()
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_role("heading", name="51–96 of 96")).to_be_visible()
    return "Backups · backupsui"


def servers_swaps(page):
    page.get_by_role("searchbox", name="Name").fill("web")
    expect(page.get_by_role("heading", name="1–1 of 1")).to_be_visible()
    page.get_by_role("searchbox", name="Name").fill("")
    expect(page.get_by_role("heading", name="1–3 of 3")).to_be_visible()
    page.get_by_label("Health").select_option("bad")
    settled(page)
    page.get_by_label("Health").select_option("")
    expect(page.get_by_role("heading", name="1–3 of 3")).to_be_visible()
    return "Servers · backupsui"


def audit_swaps(page):
    expect(page.get_by_role("heading", name="1–50 of 70")).to_be_visible()
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_role("heading", name="51–70 of 70")).to_be_visible()
    page.get_by_role("textbox", name="User").fill("olivia")  # as one types: no Apply needed
    expect(page.get_by_role("heading", name="1–50 of 70")).to_be_visible()
    page.get_by_label("Outcome").select_option("refused")
    expect(page.get_by_role("heading", name="1–35 of 35")).to_be_visible()
    return "Audit trail · backupsui"


PAGES = {
    "list": ("/backups/", "results", list_swaps),
    "servers": ("/servers/", "servers-results", servers_swaps),
    "audit": ("/audit/", "audit-results", audit_swaps),
}


@pytest.mark.parametrize("name", PAGES)
def test_it_keeps_one_landmark_and_a_valid_document_after_swaps(watched, live_server, people, name):
    for number in range(70):
        note(
            None,
            Action.BACKUP_REQUESTED,
            Outcome.REFUSED if number % 2 else Outcome.ACCEPTED,
            actor_username="olivia",
            server_id=12345,
            server_name="web-server-01",
        )
    path, results, swaps = PAGES[name]
    page = watched
    sign_in(page, live_server.url, "olivia")
    page.goto(live_server.url + path)
    page.evaluate("window.stayed = true")
    title = swaps(page)
    assert page.evaluate("window.stayed") is True  # swapped, not reloaded
    assert page.evaluate(SHAPE, results) == {"doubled": [], "results": 1, "nested": 0, "titles": 0}
    assert page.title() == title
    found = {"light": everything(page)}
    page.emulate_media(color_scheme="dark")
    found["dark"] = everything(page)
    page.set_viewport_size(PHONE)
    found["phone"] = everything(page)
    empty = {"violations": [], "incomplete": []}
    assert found == {"light": empty, "dark": empty, "phone": empty}
