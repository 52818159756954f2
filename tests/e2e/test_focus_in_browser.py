"""Keyboard focus through htmx swaps, with the keyboard alone: a running job's polls leave
Cancel focused, Next takes focus to the new results' heading, a row that updates keeps its
focused control; and the restore form's safety box is ticked again after Back."""

import re

from playwright.sync_api import expect

from backupsui.jobs.models import Job
from tests.e2e.conftest import sign_in
from tests.e2e.test_panel_in_browser import tab_to
from tests.helpers import completed_backup

FOCUSED_ID = "document.activeElement && document.activeElement.id"


def test_it_keeps_focus_on_cancel_across_three_polls(watched, live_server, people, world):
    page = watched
    backup = completed_backup(world)
    job = Job.objects.create(
        user=people["olivia"], server_id=12345, server_name="web-server-01", backup_id=backup.id
    )
    sign_in(page, live_server.url, "olivia")
    page.goto(f"{live_server.url}/jobs/{job.pk}/")
    tab_to(page, "#job-cancel")
    page.evaluate("document.activeElement.dataset.marked = 'yes'")

    def polled():
        with page.expect_response(lambda r: r.url.endswith(f"/jobs/{job.pk}/")) as answer:
            pass
        assert answer.value.status == 200
        expect(page.locator(".htmx-request")).to_have_count(0)

    polled()  # nothing changed: nothing is swapped, the very same button keeps focus
    assert page.evaluate("document.activeElement.dataset.marked") == "yes"
    Job.objects.filter(pk=job.pk).update(state=Job.State.WAITING, safety_status="in_progress")
    polled()  # the steps changed: the new Cancel button has the focus
    expect(page.locator("#job-steps")).to_contain_text("last seen: In progress")
    assert page.evaluate(FOCUSED_ID) == "job-cancel"
    polled()
    assert page.evaluate(FOCUSED_ID) == "job-cancel"
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"Job \d+ was cancelled at"))).to_be_visible()
    assert Job.objects.get(pk=job.pk).state == Job.State.CANCELLED


def test_it_takes_focus_to_the_new_results_heading_after_next(watched, live_server, people):
    page = watched
    sign_in(page, live_server.url, "olivia")
    expect(page.get_by_role("heading", name="1–50 of 96")).to_be_visible()
    tab_to(page, "a[rel=next]")
    page.keyboard.press("Enter")
    heading = page.get_by_role("heading", name="51–96 of 96")
    expect(heading).to_be_focused()
    expect(page).to_have_url(re.compile(r"page=2"))
    tab_to(page, "a[rel=prev]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="1–50 of 96")).to_be_focused()


def test_it_keeps_focus_in_a_row_that_updates(watched, live_server, people, world):
    page = watched
    world.state.config.completion_delay = 5
    running = world.state.create_backup("acme", 12345, "watched with the keyboard")["id"]
    sign_in(page, live_server.url, "olivia")
    page.goto(f"{live_server.url}/backups/?server_id=12345")
    row = page.locator(f"#backup-{running}")
    expect(row.get_by_role("img", name="Status: In progress")).to_be_visible()
    tab_to(page, f"#server-of-{running}")
    expect(row.get_by_role("img", name="Status: Completed")).to_be_visible(timeout=20_000)
    assert page.evaluate(FOCUSED_ID) == f"server-of-{running}"
    page.keyboard.press("Tab")  # on to the same row's next control
    assert page.evaluate(FOCUSED_ID) == f"restore-{running}"


def test_it_ticks_the_safety_box_again_after_back(watched, live_server, people, world):
    page = watched
    backup = completed_backup(world)
    sign_in(page, live_server.url, "olivia")
    page.goto(f"{live_server.url}/servers/12345/restore/?backup_id={backup.id}")
    safety = page.get_by_label("Take a safety backup")
    expect(safety).to_be_checked()
    safety.uncheck()
    page.get_by_role("link", name="Audit").click()
    expect(page).to_have_url(re.compile(r"/audit/$"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/restore/"))
    expect(page.get_by_label("Take a safety backup")).to_be_checked()
