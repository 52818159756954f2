"""What the worker does with what an earlier release left queued: a restore job's look from
0.2.0 (which tracked no current look) carries the job on at once, and a task this release
does not have (0.2.0's periodic `tick`) is settled with one log line, not an ImportError."""

import logging

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from backupsui.jobs.management.commands.worker import PatientWorker
from backupsui.jobs.models import Job
from backupsui.jobs.tasks import advance_job
from tests.helpers import completed_backup

State = Job.State


def worker() -> PatientWorker:
    return PatientWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )


def left_by_an_earlier_release(task_path: str) -> DBTaskResult:
    return DBTaskResult.objects.create(
        task_path=task_path,
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=timezone.now(),
    )


def test_it_carries_on_a_job_an_earlier_release_started_at_its_next_look(sandbox, operator):
    backup = completed_backup(sandbox)
    job = Job.objects.create(
        user=operator,
        server_id=12345,
        server_name="web-server-01",
        backup_id=backup.id,
        safety_description="Safety backup before restoring (requested by olivia)",
    )
    look = advance_job.enqueue(job.pk)  # as 0.2.0 queued it: the job names no current look
    assert job.look_task is None

    worker().run_task(DBTaskResult.objects.get(pk=look.id))

    job.refresh_from_db()
    assert job.state == State.WAITING and job.safety_backup_id is not None
    following = DBTaskResult.objects.get(pk=job.look_task)  # its chain of looks goes on
    assert following.status == "READY" and following.args_kwargs["args"] == [job.pk]
    assert DBTaskResult.objects.get(pk=look.id).return_value == State.WAITING


def test_it_settles_a_retired_task_with_one_line_and_fails_an_unknown_one(db, caplog):
    tick = left_by_an_earlier_release("backupsui.jobs.tasks.tick")
    unknown = left_by_an_earlier_release("backupsui.nowhere.tasks.gone")

    with caplog.at_level(logging.INFO, logger="django_tasks_db"):
        worker().run_task(tick)
        worker().run_task(unknown)

    lines = [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records]
    assert lines == [
        (
            "INFO",
            f"task {tick.pk} (backupsui.jobs.tasks.tick) skipped: 0.2.0's periodic round; "
            "`manage.py scheduler` queues the rounds",
            None,
        ),
        (
            "WARNING",
            f"task {unknown.pk} (backupsui.nowhere.tasks.gone) failed: this release has no "
            "such task",
            None,
        ),
    ]
    tick.refresh_from_db()
    unknown.refresh_from_db()
    assert (tick.status, unknown.status) == ("SUCCESSFUL", "FAILED")
    assert tick.finished_at is not None and unknown.finished_at is not None
    assert "Traceback" not in unknown.traceback
