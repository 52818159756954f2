"""The README's pictures, taken from the real panel by `make screenshots` (into
docs/screenshots). Not part of `make test`: it proves nothing beyond the browser tests."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import expect

from backupsui.audit.models import Action, AuditEvent, Outcome
from tests.conftest import start_sandbox
from tests.e2e.conftest import sign_in
from tests.helpers import completed_backup

PHONE = {"width": 390, "height": 844}


def test_it_takes_the_readme_screenshots(watched, live_server, people, world):
    page = watched
    folder = Path(os.environ.get("SCREENSHOTS_DIR", "docs/screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    world.state.config.completion_delay = 3600
    world.state.create_backup("acme", 12345, "Before the kernel upgrade")
    sign_in(page, live_server.url, "olivia")
    expect(page.get_by_role("img", name="Status: In progress")).to_be_visible()
    page.screenshot(path=folder / "list.png")
    backup = completed_backup(world).id
    page.goto(f"{live_server.url}/servers/12345/restore/?backup_id={backup}")
    page.get_by_label("to confirm").fill("web-server-01")
    page.screenshot(path=folder / "restore.png")
    page.get_by_label("Take a safety backup").uncheck()
    page.get_by_role("button", name="Restore this server").click()
    expect(page.get_by_text("and accepted", exact=False)).to_be_visible()
    page.goto(f"{live_server.url}/audit/")
    page.screenshot(path=folder / "audit.png")
    for name in ("list", "restore", "audit"):
        assert (folder / f"{name}.png").stat().st_size > 10_000


def test_it_takes_the_server_page_screenshots(watched, live_server, people, settings):
    """A server's story with ninety days behind it (a few failures among them): light, dark,
    and on a phone."""
    page = watched
    folder = Path(os.environ.get("SCREENSHOTS_DIR", "docs/screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    history = start_sandbox(servers=3, history_days=75, completion_delay=3600)
    today, kept_days = datetime.now(UTC).date(), set()
    for backup in sorted(history.state.backups.values(), key=lambda b: b.created_at):
        if backup.server.id != 12345:
            continue
        days_ago = (today - backup.created_at.date()).days
        manual = backup.backup_type == "manual"
        # One manual backup a day before the automatic ones began, one a week since; a week
        # with none at all.
        if 52 <= days_ago <= 56 or (
            manual and (days_ago in kept_days or (days_ago <= 30 and days_ago % 7 != 3))
        ):
            history.state.delete_backup("acme", backup.id)
            continue
        if manual:
            kept_days.add(days_ago)
        if days_ago in (4, 17, 18, 39):  # days on which every backup failed
            history.state.fail_backup(backup.id)
    manual = sorted(
        b.size_mb
        for b in history.state.backups.values()
        if b.server.id == 12345 and b.backup_type == "manual" and not b.failed
    )
    # A dump that silently broke: far smaller than usual, flagged on the page.
    history.state.add_backup(
        12345,
        backup_type="manual",
        description="Before the schema migration",
        size_mb=int(manual[len(manual) // 2] * 0.38),
        created_at=datetime.now(UTC) - timedelta(hours=2),
    )
    restored_from = next(
        b for b in history.state.backups.values() if b.server.id == 12345 and not b.failed
    )
    AuditEvent.objects.create(
        actor=people["olivia"],
        actor_username="olivia",
        action=Action.RESTORE_REQUESTED,
        server_id=12345,
        server_name="web-server-01",
        backup_id=restored_from.id,
        backup_created_at=restored_from.created_at,
        outcome=Outcome.ACCEPTED,
        created_at=datetime.now(UTC) - timedelta(days=9),
    )
    settings.BACKUPS_API_URL = history.url
    try:
        sign_in(page, live_server.url, "olivia")
        page.goto(f"{live_server.url}/servers/12345/")
        expect(page.locator("ol.calendar li")).to_have_count(90)
        expect(page.locator("svg.chart")).to_be_visible()
        page.screenshot(path=folder / "server.png")
        page.emulate_media(color_scheme="dark")
        page.screenshot(path=folder / "server-dark.png")
        page.emulate_media(color_scheme="light")
        page.set_viewport_size(PHONE)
        page.reload()
        expect(page.locator("svg.chart")).to_be_visible()
        page.screenshot(path=folder / "server-phone.png")
    finally:
        history.stop()
    for name in ("server", "server-dark", "server-phone"):
        assert (folder / f"{name}.png").stat().st_size > 10_000
