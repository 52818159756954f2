"""Journeys in a real browser: a sign-in that ends while the page polls, a failed backup that
offers no restore, the audit trail on a phone."""

import re

from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from backupsui.audit.models import Action
from backupsui.audit.recorder import note
from tests.e2e.conftest import sign_in
from tests.helpers import completed_backup
from tests.stack import Workers

PHONE = {"width": 390, "height": 844}


def test_it_comes_back_to_the_same_filtered_list_after_the_session_ends_mid_poll(
    watched, live_server, people, world
):
    page = watched
    world.state.config.completion_delay = 3600
    world.state.create_backup("acme", 12345, "still running")
    sign_in(page, live_server.url, "olivia")
    filtered = f"{live_server.url}/backups/?server_id=12345&backup_type=manual&q=running"
    page.goto(filtered)
    expect(page.get_by_role("heading", name="1–1 of 1")).to_be_visible()
    expect(page.locator("[data-poll]")).to_have_count(1)
    Session.objects.all().delete()  # signed out elsewhere, or timed out
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="), timeout=15_000)
    expect(page.locator("#results")).to_have_count(0)  # the whole page, not a swapped table
    page.get_by_label("Username").fill("olivia")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(filtered)
    expect(page.get_by_role("heading", name="1–1 of 1")).to_be_visible()


def test_it_offers_no_restore_from_a_failed_backup(watched, live_server, people, world):
    page = watched
    failed, good = sorted(
        (b for b in world.state.backups.values() if b.server.id == 12345),
        key=lambda b: b.id,
    )[:2]
    world.state.fail_backup(failed.id)
    good = completed_backup(world) if good.id == failed.id else good
    sign_in(page, live_server.url, "olivia")
    page.goto(f"{live_server.url}/backups/?server_id=12345&status=failed")
    row = page.locator(f"#backup-{failed.id}")
    expect(row.get_by_role("img", name="Status: Failed")).to_be_visible()
    expect(row.get_by_role("link", name=re.compile("^Restore "))).to_have_count(0)
    expect(row.get_by_role("link", name=f"Delete backup {failed.id}")).to_be_visible()


def test_it_shows_the_audit_trail_as_cards_on_a_phone(watched, live_server, people, axe):
    page = watched
    for number in range(3):
        note(
            None,
            Action.RESTORE_REQUESTED,
            actor_username="olivia",
            server_id=12345,
            server_name="web-server-01-with-a-rather-long-name",
            backup_id=1000 + number,
            message="Server web-server-01 is being restored from backup 1000.",
        )
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "olivia")
    page.goto(f"{live_server.url}/audit/")
    rows = page.locator("table.audit tbody tr")
    expect(rows).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert rows.first.evaluate("r => getComputedStyle(r).display") == "grid"
    expect(page.get_by_role("button", name="Apply")).to_be_hidden()  # folded away
    page.get_by_text("Filters").click()
    expect(page.get_by_role("button", name="Apply")).to_be_visible()
    assert axe(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/backups/")
    expect(page.get_by_role("button", name="Apply")).to_be_visible()  # never folded on a desk


def test_it_goes_from_a_bad_server_to_its_new_backup_running(
    watched, live_server, people, world, axe
):
    page = watched
    world.state.config.completion_delay = 3600
    for backup_id in [i for i, b in world.state.backups.items() if b.server.id == 12346]:
        world.state.fail_backup(backup_id)  # db-server-02: every backup failed
    sign_in(page, live_server.url, "olivia")
    page.get_by_role("link", name="Servers", exact=True).click()
    row = page.locator("#server-12346")
    expect(row).to_contain_text("bad")
    expect(page.locator("table.servers tbody tr").first).to_have_id("server-12346")
    assert axe(page) == []
    page.get_by_role("link", name="1 bad").click()
    expect(page).to_have_url(re.compile(r"/servers/\?health=bad"))
    page.get_by_role("link", name="New backup: db-server-02").click()
    # The server shows by name, its id beside it, before anything is created.
    expect(page.get_by_label("Server", exact=True)).to_have_value("db-server-02 (#12346)")
    page.get_by_role("button", name="Back up now").click()
    newest = max(world.state.backups)
    expect(page).to_have_url(re.compile(r"/servers/\?health=bad$"))  # back where it started
    expect(page.get_by_text(f"Backup {newest} of db-server-02 was requested at")).to_be_visible()
    expect(page.locator("#server-12346")).to_contain_text("running")
    # A second one while it runs: the panel asks first.
    page.goto(f"{live_server.url}/backups/?server_id=12346")
    page.get_by_role("button", name="Back up now").click()
    expect(page.get_by_text(f"Backup {newest} of db-server-02 is running already")).to_be_visible()
    assert max(world.state.backups) == newest
    page.get_by_role("button", name="Back up again").click()
    expect(page.get_by_text("of db-server-02 was requested at")).to_be_visible()
    assert max(world.state.backups) > newest


def test_it_shows_servers_as_cards_on_a_phone(watched, live_server, people, axe):
    page = watched
    page.set_viewport_size(PHONE)
    sign_in(page, live_server.url, "olivia")
    page.goto(f"{live_server.url}/servers/")
    rows = page.locator("table.servers tbody tr")
    expect(rows).to_have_count(3)
    assert rows.first.evaluate("r => getComputedStyle(r).display") == "grid"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe(page) == []
    page.emulate_media(color_scheme="dark")
    assert axe(page) == []


def test_it_watches_a_restore_job_from_waiting_to_sent(watched, live_server, people, world, axe):
    page = watched
    world.state.config.completion_delay = 4
    workers = Workers(world.url)
    workers.start()
    try:
        backup = completed_backup(world)
        sign_in(page, live_server.url, "olivia")
        page.goto(f"{live_server.url}/servers/12345/restore/?backup_id={backup.id}")
        expect(page.get_by_label("Take a safety backup")).to_be_checked()
        page.get_by_label("to confirm").fill("web-server-01")
        page.get_by_role("button", name="Restore this server").click()
        expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
        expect(page.locator(".job-state")).to_contain_text("Waiting for the safety backup")
        assert axe(page) == []
        page.evaluate("window.stayed = true")
        expect(page.locator(".job-state")).to_contain_text("Restore sent", timeout=30_000)
        assert page.evaluate("window.stayed") is True  # no reload: the steps polled
        expect(page.locator("[data-poll]")).to_have_count(0)
        assert world.state.servers[12345].status == "restoring"
    finally:
        workers.stop()
