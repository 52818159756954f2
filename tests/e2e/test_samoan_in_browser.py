"""One whole journey in Samoan, in a real browser: sign in, switch the language, filter,
request a backup, restore by typing the server's name, read the audit trail. axe finds
nothing serious on the way, and every page says lang="sm"."""

import re

from playwright.sync_api import expect

from backupsui.audit.models import AuditEvent
from tests.helpers import completed_backup


def samoan(page, axe) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "sm")
    assert axe(page) == []


def test_it_does_a_whole_journey_in_samoan(watched, live_server, people, world, axe):
    page = watched
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill("olivia")
    page.locator("#id_password").fill("correct horse battery staple")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/backups/$"))
    page.locator("#language-choice").select_option("sm")
    page.locator("form.language button").click()
    expect(page).to_have_url(re.compile(r"/backups/$"))
    samoan(page, axe)
    expect(page.get_by_role("link", name="ʻAuʻaunaga", exact=True)).to_be_visible()

    page.locator("#id_backup_type").select_option("manual")
    expect(page).to_have_url(re.compile(r"backup_type=manual"))
    expect(page.locator("table.backups tbody tr")).to_have_count(6)
    samoan(page, axe)

    page.goto(f"{live_server.url}/backups/new/?server_id=12345")
    samoan(page, axe)
    page.locator("#id_description").fill("aʻo leʻi faʻafouina")
    page.locator("main form.card button[type=submit]").click()
    newest = max(world.state.backups)
    expect(page.locator(f"#backup-{newest}")).to_be_visible()
    assert world.state.backups[newest].description == "aʻo leʻi faʻafouina"

    backup = completed_backup(world)
    page.goto(f"{live_server.url}/servers/12345/restore/?backup_id={backup.id}")
    samoan(page, axe)
    page.locator("#id_confirm").fill("web-server-01")  # the name as it is, in any language
    page.locator("#id_safety").uncheck()
    page.locator("main form button.danger").click()
    expect(page).to_have_url(re.compile(r"/backups/\?server_id=12345$"))
    assert world.state.servers[12345].status == "restoring"

    page.goto(f"{live_server.url}/audit/")
    samoan(page, axe)
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(AuditEvent.objects.exclude(action__in=["sign_in"]).count())
    expect(rows.first).not_to_contain_text("Restore requested")
