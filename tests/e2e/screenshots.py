"""The README's pictures, taken from the real panel by `make screenshots` (into
docs/screenshots). Not part of `make test`: it proves nothing beyond the browser tests."""

import os
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.helpers import completed_backup


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
