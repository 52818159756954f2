"""A restore job in a real browser, with real background workers: the job page names each
step's time and what the provider does not say; a finished job undoes itself from its safety
backup through the normal confirmation, which names the job it undoes and is not held up by
that job's own quiet time; a cancelled one names the safety backup it kept and
offers to delete it."""

import re

import pytest
from playwright.sync_api import expect

from backupsui.jobs.models import Job
from tests.e2e.conftest import sign_in
from tests.helpers import completed_backup
from tests.stack import Workers


@pytest.fixture
def workers(world):
    world.restores = []
    restore = world.state.restore_server

    def counted(account, server_id, backup_id):
        world.restores.append((server_id, backup_id))
        return restore(account, server_id, backup_id)

    world.state.restore_server = counted
    started = Workers(world.url)
    started.start()
    yield started
    started.stop()


def start_job(page, base: str, backup) -> Job:
    page.goto(f"{base}/servers/{backup.server.id}/restore/?backup_id={backup.id}")
    page.get_by_label("to confirm").fill(backup.server.name)
    expect(page.get_by_label("Take a safety backup")).to_be_checked()
    page.get_by_role("button", name="Restore this server").click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
    expect(page.get_by_text("was started at", exact=False)).to_be_visible()
    return Job.objects.get(pk=int(page.url.rstrip("/").rsplit("/", 1)[1]))


def test_it_times_each_step_and_undoes_a_finished_job(watched, live_server, people, world, workers):
    page = watched
    sign_in(page, live_server.url, "olivia")
    backup = completed_backup(world)
    job = start_job(page, live_server.url, backup)
    expect(
        page.get_by_text("the job gives up and the restore is not sent", exact=False)
    ).to_be_visible()
    expect(page.locator(".job-state")).to_contain_text("Restore sent", timeout=30_000)
    job.refresh_from_db()
    steps = page.locator("#job-steps")
    expect(steps).to_contain_text(f"{job.safety_event.created_at:%H:%M:%S}")
    expect(steps).to_contain_text(f"{job.restore_event.created_at:%H:%M:%S}")
    expect(steps).to_contain_text("after it was requested")
    expect(steps).to_contain_text("The provider does not report when a restore finishes")
    expect(steps.locator('q[lang="en"]')).to_contain_text("is being restored from backup")

    page.get_by_role("link", name="Restore from the safety backup").click()
    expect(page).to_have_url(
        re.compile(rf"/servers/12345/restore/\?backup_id={job.safety_backup_id}$")
    )
    # The job's own restore was sent a moment ago, and this undoes it: the confirmation names
    # what it restores and its quiet time holds nothing up (no "restore anyway").
    expect(page.get_by_role("heading", name=f"Undo restore job {job.pk}")).to_be_visible()
    expect(
        page.get_by_text(f"which restored this server from backup {backup.id}", exact=False)
    ).to_be_visible()
    expect(page.get_by_text("This server is being restored already.")).to_have_count(0)
    expect(page.get_by_label("Restore anyway")).to_have_count(0)
    page.get_by_label("to confirm").fill("web-server-01")
    page.get_by_label("Take a safety backup").uncheck()
    page.get_by_role("button", name="Restore this server").click()
    expect(page.get_by_text("and accepted", exact=False)).to_be_visible()
    assert len(world.restores) == 2
    assert world.restores[-1] == (12345, job.safety_backup_id)


def test_it_names_the_safety_backup_a_cancelled_job_kept(
    watched, live_server, people, world, workers
):
    world.state.config.completion_delay = 600  # the safety backup stays in progress
    page = watched
    sign_in(page, live_server.url, "olivia")
    job = start_job(page, live_server.url, completed_backup(world, 12346))
    expect(page.locator(".job-state")).to_contain_text(
        "Waiting for the safety backup", timeout=30_000
    )
    page.get_by_role("button", name="Cancel: do not restore").click()
    expect(page.get_by_text(f"Job {job.pk} was cancelled at", exact=False)).to_be_visible()
    job.refresh_from_db()
    kept = job.safety_backup_id
    expect(
        page.get_by_text(f"Safety backup {kept} was kept: a manual backup", exact=False)
    ).to_be_visible()
    page.get_by_role("link", name=f"Delete safety backup {kept}").click()
    expect(page).to_have_url(re.compile(rf"/backups/{kept}/delete/$"))
    assert world.restores == []
