"""What the background workers run (`manage.py worker`, any number of them).

- `advance_job`: one look at a restore job, which queues the job's next look first. A job
  has one chain of looks: `Job.look_task` names its one current look, and a look that is not
  the current one (a copy left by a restart) ends without queueing anything.
- `housekeeping`: the periodic round on the default queue, queued by `manage.py scheduler`
  every BACKUPSUI_WATCH_MINUTES: looks of dead workers marked failed once the job's lease has
  run out, jobs with no live look given one, interrupted audit events settled (the one
  place that does it periodically; `manage.py settle_audit` does the same by hand).

The alerts' round lives beside the alerts (`backupsui.alerts.tasks.alerts_round`).

A job an earlier release started (0.2.0 tracked no current look) carries on at its next look:
the first look that finds no current one becomes it."""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.tasks import TaskContext, TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from backupsui.audit.settle import settle_interrupted

from . import runner
from .models import Job

logger = logging.getLogger("backupsui.jobs")
READY, RUNNING = TaskResultStatus.READY, TaskResultStatus.RUNNING
# A round (not a look) left running this long was abandoned by a worker that died.
ROUND_ABANDONED = timedelta(hours=1)
LOOK = "backupsui.jobs.tasks.advance_job"


# Tasks earlier releases queued that this one does not have, and where their work went: the
# worker settles them with one log line (manage.py worker).
RETIRED = {
    "backupsui.jobs.tasks.tick": "0.2.0's periodic round; `manage.py scheduler` queues the rounds",
}


class WorkerGone(Exception):
    """Why a task left running by a worker that died is marked failed."""


class NoSuchTask(Exception):
    """Why a task this release does not have (nor knows as retired) is marked failed."""


@task(takes_context=True)
def advance_job(context: TaskContext, job_id: int) -> str:
    """One look at a job. The next look is queued (and made the job's current one) before
    this one starts working, so that a worker killed mid-step leaves the job its next look
    (which waits, a look at a time, until the dead worker's lease on the job runs out); a
    finished job's last look queues none, and a look that is not the job's current one stops."""
    me = context.task_result.id
    if not Job.objects.filter(pk=job_id, state__in=Job.OPEN).exists():
        return "finished"
    if not _queue_look(job_id, instead_of=me, after=runner.look_every(), adopt=True):
        return "not the job's current look"
    job = runner.advance(job_id)
    return job.state if job is not None else "held elsewhere"


class _Superseded(Exception):
    pass


def _queue_look(job_id: int, instead_of, after: timedelta | None = None, adopt=False) -> bool:
    """Queues a look and makes it the job's current one, only if the current one is still
    `instead_of` (None: none yet), or, with `adopt`, none at all (a job an earlier release
    started), and the job is open; both or neither are written."""
    queued = advance_job.using(run_after=timezone.now() + after) if after else advance_job
    mine = Q(look_task=instead_of) | Q(look_task__isnull=True) if adopt else Q(look_task=instead_of)
    try:
        with transaction.atomic():
            result = queued.enqueue(job_id)
            current = Job.objects.filter(mine, pk=job_id, state__in=Job.OPEN)
            if not current.update(look_task=result.id):
                raise _Superseded
    except _Superseded:
        return False
    return True


def start(job: Job) -> None:
    _queue_look(job.pk, instead_of=None)


def _job_of(result: DBTaskResult) -> int | None:
    args = (result.args_kwargs or {}).get("args") or []
    return args[-1] if args and isinstance(args[-1], int) else None


def fail_abandoned() -> int:
    """Tasks left RUNNING by a worker that died: a look once its job's lease has run out (a
    live worker always finishes a step within it), a round after ROUND_ABANDONED. They are
    marked failed, so the pruning of finished results removes them later."""
    now = timezone.now()
    abandoned = []
    looks = DBTaskResult.objects.filter(
        status=RUNNING, task_path=LOOK, started_at__lt=now - runner.lease_for()
    )
    for result in looks:
        job = Job.objects.filter(pk=_job_of(result)).first()
        if job is None or job.held_until is None or job.held_until < now:
            abandoned.append(result.pk)
    rounds = DBTaskResult.objects.filter(status=RUNNING, started_at__lt=now - ROUND_ABANDONED)
    abandoned += list(rounds.exclude(task_path=LOOK).values_list("pk", flat=True))
    return DBTaskResult.objects.filter(pk__in=abandoned, status=RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=f"{__name__}.{WorkerGone.__qualname__}",
        traceback="The worker running this task stopped before it finished; its lease ran out.",
    )


def restart_stalled() -> int:
    """Jobs overdue for a look whose current look is neither waiting for a worker nor
    running get a new one (the old chain ended with a worker that died before queueing)."""
    restarted = 0
    for job in runner.stalled():
        alive = DBTaskResult.objects.filter(pk=job.look_task, status__in=(READY, RUNNING))
        if job.look_task is not None and alive.exists():
            continue  # the workers are away: the look waits for them
        restarted += _queue_look(job.pk, instead_of=job.look_task)
    return restarted


@task()
def housekeeping(slot: str = "") -> str:
    """The round for `slot` (the time it was due, as the scheduler claimed it)."""
    failed = fail_abandoned()
    restarted = restart_stalled()
    settled = settle_interrupted()
    logger.info(
        "housekeeping %s: %d abandoned task(s) failed, %d job(s) restarted, %d event(s) settled",
        slot,
        failed,
        restarted,
        settled,
    )
    return slot
