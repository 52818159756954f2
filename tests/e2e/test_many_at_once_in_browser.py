"""A server's story and many changes at once, in the browser: the story page in light, dark
and on a phone; three servers backed up from /servers/ and watched to completion without a
reload; a bulk delete that leaves out a running backup and says so."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.stack import Workers

PHONE = {"width": 375, "height": 740}


def test_it_tells_a_servers_story_in_light_dark_and_on_a_phone(watched, live_server, people, axe):
    page = watched
    sign_in(page, live_server.url, "olivia")
    page.goto(f"{live_server.url}/servers/")
    page.get_by_role("link", name="web-server-01").first.click()
    expect(page).to_have_url(re.compile(r"/servers/12345/$"))
    expect(page.locator("ol.calendar li")).to_have_count(90)
    expect(page.locator("svg.chart")).to_be_visible()
    assert axe(page) == []
    page.emulate_media(color_scheme="dark")
    assert axe(page) == []
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe(page) == []


def test_it_backs_up_three_servers_and_watches_them_complete(
    watched, live_server, people, world, axe
):
    page = watched
    world.state.config.completion_delay = 3
    workers = Workers(world.url)
    workers.start()
    try:
        sign_in(page, live_server.url, "olivia")
        page.goto(f"{live_server.url}/servers/")
        for name in ("web-server-01", "db-server-02", "cache-server-03"):
            page.get_by_label(f"Choose {name}").check()
        page.get_by_role("button", name="Back up the chosen servers now").click()
        expect(page.get_by_text("each of the 3 servers below")).to_be_visible()
        assert axe(page) == []
        page.get_by_label("Description").fill("before the migration")
        page.get_by_role("button", name="Back up 3 servers now").click()
        expect(page).to_have_url(re.compile(r"/jobs/bulk/\d+/$"))
        page.evaluate("window.stayed = true")
        expect(page.locator(".badge-accepted")).to_have_count(3, timeout=30_000)
        expect(page.locator("#bulk-results .badge-ok")).to_have_count(3, timeout=30_000)
        expect(page.get_by_text("Every request has its outcome.")).to_be_visible()
        assert page.evaluate("window.stayed") is True  # followed live, never reloaded
        made = [b for b in world.state.backups.values() if b.description == "before the migration"]
        assert sorted(b.server.id for b in made) == [12345, 12346, 12347]
    finally:
        workers.stop()


def test_it_deletes_several_backups_leaving_out_a_running_one(watched, live_server, people, world):
    page = watched
    world.state.config.completion_delay = 3600
    running = world.state.create_backup("acme", 12345, "still running")
    workers = Workers(world.url)
    workers.start()
    try:
        sign_in(page, live_server.url, "olivia")
        page.goto(f"{live_server.url}/backups/?server_id=12345&sort=created")
        boxes = page.locator("#results input[name=backup_id]")
        oldest = [int(boxes.nth(n).get_attribute("value")) for n in range(2)]
        for backup_id in oldest:
            page.get_by_label(f"Choose backup {backup_id}").check()
        page.goto(
            f"{live_server.url}/backups/delete/?backup_id={oldest[0]}&backup_id={oldest[1]}"
            f"&backup_id={running['id']}"
        )
        expect(page.get_by_text("2 backups will be deleted")).to_be_visible()
        expect(page.locator(".left-out")).to_contain_text("it is being taken now")
        page.get_by_label("Type how many backups to delete").fill("2")
        page.get_by_role("button", name="Delete them").click()
        expect(page).to_have_url(re.compile(r"/jobs/bulk/\d+/$"))
        expect(page.locator(".badge-accepted")).to_have_count(2, timeout=30_000)
        assert all(backup_id not in world.state.backups for backup_id in oldest)
        assert running["id"] in world.state.backups
    finally:
        workers.stop()
