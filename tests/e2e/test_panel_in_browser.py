"""What a person sees and clicks, in a real browser."""

import re

from playwright.sync_api import expect

from backupsui.audit.models import AuditEvent
from tests.conftest import OPERATOR_TOKEN, SUPPORT_TOKEN
from tests.e2e.conftest import sign_in
from tests.helpers import completed_backup


def test_it_signs_in_and_sets_a_token_that_is_never_shown(watched, live_server, people, axe):
    page = watched
    sign_in(page, live_server.url, "nina")
    expect(page).to_have_url(re.compile(r"/account/token/\?next="))
    expect(page.get_by_text("Store your API token first")).to_be_visible()
    field = page.get_by_label("API token")
    expect(field).to_have_attribute("type", "password")
    field.fill(SUPPORT_TOKEN)
    page.get_by_role("button", name="Check and save").click()
    expect(page).to_have_url(re.compile(r"/backups/"))
    expect(page.get_by_text("Your API token was checked and saved.")).to_be_visible()
    page.goto(f"{live_server.url}/account/token/")
    expect(page.get_by_text(f"…{SUPPORT_TOKEN[-4:]}")).to_be_visible()
    assert SUPPORT_TOKEN not in page.content()
    assert axe(page) == []


def test_it_lists_and_filters_without_reloading(watched, live_server, people, axe):
    page = watched
    sign_in(page, live_server.url, "olivia")
    expect(page.get_by_role("heading", name="1–50 of 96")).to_be_visible()
    assert axe(page) == []
    page.evaluate("window.stayed = true")
    page.get_by_label("Type").select_option("manual")
    expect(page.get_by_role("heading", name="1–6 of 6")).to_be_visible()
    expect(page).to_have_url(re.compile(r"backup_type=manual"))
    page.get_by_label("Search").fill("Pre-update backup 2")
    expect(page.get_by_role("heading", name="1–3 of 3")).to_be_visible()
    assert page.evaluate("window.stayed") is True
    page.get_by_role("link", name="web-server-01").first.click()
    expect(page.get_by_role("heading", name=re.compile("web-server-01"))).to_be_visible()


def test_it_creates_a_backup_and_watches_it_complete(watched, live_server, people, world):
    page = watched
    sign_in(page, live_server.url, "olivia")
    page.goto(f"{live_server.url}/backups/?server_id=12345")
    page.get_by_role("button", name="Back up now").click()
    expect(page.get_by_text("of web-server-01 was requested at", exact=False)).to_be_visible()
    newest = max(world.state.backups)
    row = page.locator(f"#backup-{newest}")
    expect(row.get_by_role("img", name="Status: In progress")).to_be_visible()
    page.evaluate("window.stayed = true")
    expect(row.get_by_role("img", name="Status: Completed")).to_be_visible(timeout=20_000)
    assert page.evaluate("window.stayed") is True
    expect(page.locator("#live")).to_contain_text(f"Backup {newest} of web-server-01")
    expect(page.locator("[data-poll]")).to_have_count(0)


def test_it_deletes_after_a_confirmation(watched, live_server, people, world, axe):
    page = watched
    backup = completed_backup(world)
    sign_in(page, live_server.url, "olivia")
    page.goto(f"{live_server.url}/backups/?server_id=12345")
    page.get_by_role("link", name=f"Delete backup {backup.id}", exact=True).click()
    expect(page.get_by_text("It cannot be undone")).to_be_visible()
    assert axe(page) == []
    assert backup.id in world.state.backups
    page.get_by_role("button", name="Delete this backup").click()
    expect(page.get_by_text(f"Backup {backup.id} of web-server-01 was deleted")).to_be_visible()
    expect(page.locator(f"#backup-{backup.id}")).to_have_count(0)
    assert backup.id not in world.state.backups


def test_it_restores_only_with_the_servers_name_typed(watched, live_server, people, world, axe):
    page = watched
    backup = completed_backup(world)
    sign_in(page, live_server.url, "olivia")
    page.goto(f"{live_server.url}/backups/?server_id=12345")
    page.get_by_role(
        "link", name=f"Restore web-server-01 from backup {backup.id}", exact=True
    ).click()
    expect(page.get_by_text("will be replaced by backup")).to_be_visible()
    assert axe(page) == []
    page.get_by_label("to confirm").fill("web-server-02")
    page.get_by_role("button", name="Restore this server").click()
    expect(page.get_by_text("That is not the server's name")).to_be_visible()
    assert world.state.servers[12345].status == "active"
    page.get_by_label("to confirm").fill("web-server-01")
    page.get_by_label("Take a safety backup").uncheck()  # restore at once, this time
    page.get_by_role("button", name="Restore this server").click()
    expect(page.get_by_text("and accepted", exact=False)).to_be_visible()
    page.get_by_role("link", name="See it in the audit trail.").click()
    row = page.locator("table.audit tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Restore requested")
    expect(row).to_contain_text("Accepted")
    assert axe(page) == []
    assert AuditEvent.objects.get(action="restore_requested").backup_id == backup.id


def test_it_does_not_offer_delete_to_support(watched, live_server, people):
    page = watched
    sign_in(page, live_server.url, "sam")
    expect(page.get_by_role("link", name=re.compile("^Restore ")).first).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Delete backup"))).to_have_count(0)


def test_it_explains_an_upstream_outage_with_a_retry(watched, live_server, people, world, settings):
    settings.BACKUPS_CACHE_SECONDS = 0
    page = watched
    sign_in(page, live_server.url, "olivia")
    expect(page.get_by_role("heading", name="1–50 of 96")).to_be_visible()
    world.stop()
    page.reload()
    expect(page.get_by_text("could not be reached")).to_be_visible()
    expect(page.get_by_role("link", name="Try again")).to_be_visible()
    assert OPERATOR_TOKEN not in page.content()


def test_it_does_create_then_restore_with_the_keyboard_alone(watched, live_server, people, world):
    page = watched
    page.goto(f"{live_server.url}/accounts/login/")
    keyboard = page.keyboard
    tab_to(page, "#id_username")
    keyboard.type("olivia")
    tab_to(page, "#id_password")
    keyboard.type("correct horse battery staple")
    keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/backups/$"))
    tab_to(page, "a.button.primary")  # New backup
    keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/backups/new/\?back=/backups/$"))
    tab_to(page, "#id_server_id")
    keyboard.type("12346")
    tab_to(page, "#id_description")
    keyboard.type("typed, not clicked")
    keyboard.press("Enter")
    expect(page.get_by_text("of db-server-02 was requested at", exact=False)).to_be_visible()
    created = max(world.state.backups)
    assert world.state.backups[created].description == "typed, not clicked"
    backup = completed_backup(world, 12346)
    tab_to(page, f'a[href*="backup_id={backup.id}&back="]')
    keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/servers/12346/restore/"))
    tab_to(page, "#id_confirm")
    keyboard.type("db-server-02")
    tab_to(page, "#id_safety")
    keyboard.press("Space")  # restore at once, without a safety backup first
    tab_to(page, "#id_confirm")
    keyboard.press("Enter")
    expect(page.get_by_text("and accepted", exact=False)).to_be_visible()
    assert world.state.servers[12346].status == "restoring"


def tab_to(page, selector: str, limit: int = 600) -> None:
    """Presses Tab until the element is focused, as a keyboard user would."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with the Tab key")
