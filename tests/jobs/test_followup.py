"""A job's safety backup as it really ended: a job stopped while its safety backup was still
being taken (its token refused while the API restarted) shows how that backup ended once its
owner's list is fetched again, and a safety backup the list no longer has (an API that
restarted without it) is said to be gone, not "in progress" and kept."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from backupsui.backups.account import account_for
from backupsui.jobs import runner
from backupsui.jobs.models import Job
from tests.helpers import FormClient, completed_backup, text

State = Job.State


def page_of(job, user) -> str:
    client = FormClient()
    client.force_login(user)
    return text(client.get(f"/jobs/{job.pk}/"))


def in_progress(sandbox):
    return sandbox.state.add_backup(
        12345,
        backup_type="manual",
        status="in_progress",
        completes_at=datetime.now(UTC) + timedelta(hours=1),
    )


def test_it_shows_how_the_safety_backup_of_a_stopped_job_ended(sandbox, operator):
    safety = in_progress(sandbox)
    job = Job.objects.create(
        user=operator,
        server_id=12345,
        backup_id=completed_backup(sandbox).id,
        state=State.FAILED,
        safety_backup_id=safety.id,
        safety_status="in_progress",
        finished_at=timezone.now(),
        detail="",
    )
    assert "last seen: In progress" in page_of(job, operator)
    safety.completes_at = datetime.now(UTC)  # it completed after the job stopped

    account_for(operator).backups()  # the owner's next list (a page, the periodic round)

    job.refresh_from_db()
    assert job.safety_status == "completed"
    shown = page_of(job, operator)
    assert "last seen: Completed" in shown and f"Safety backup {safety.id} was kept" in shown


def test_it_says_a_safety_backup_the_list_no_longer_has_is_gone(sandbox, operator):
    safety = in_progress(sandbox)
    job = Job.objects.create(
        user=operator,
        server_id=12345,
        backup_id=completed_backup(sandbox).id,
        state=State.WAITING,
        safety_backup_id=safety.id,
        safety_status="in_progress",
        safety_requested_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    del sandbox.state.backups[safety.id]  # the API came back without it

    runner.advance(job.pk)

    job.refresh_from_db()
    assert (job.state, job.safety_status) == (State.FAILED, "gone")
    shown = page_of(job, operator)
    assert "no longer in the list" in shown and "last seen" not in shown
    assert f"Safety backup {safety.id} is no longer in the list." in shown
    assert "was kept" not in shown and f"Delete safety backup {safety.id}" not in shown
