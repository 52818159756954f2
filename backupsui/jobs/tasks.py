"""What the background workers run (`manage.py db_worker`, any number of them).

- `advance_job`: moves one restore job on, then asks to be run again when the job next
  needs a look.
- `tick`: the periodic round, every BACKUPSUI_WATCH_MINUTES: alerts for everyone subscribed,
  stalled jobs started again, interrupted audit events settled. A `Schedule` row in the
  database says when the next round is due; the worker that moves it on does the round and
  queues the next one, and any duplicate round finds it moved and stops. If the chain of
  rounds is broken (a worker killed mid-round), the panel queues a new one when it finds the
  round overdue (`keep_ticking`)."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError
from django.tasks import task
from django.utils import timezone

from backupsui.alerts.watch import watch_everyone
from backupsui.audit.settle import settle_interrupted

from . import runner
from .models import Job, Schedule

logger = logging.getLogger("backupsui.jobs")
TICK = "tick"
OVERDUE = timedelta(minutes=2)  # a round this late was lost: start another


@task()
def advance_job(job_id: int) -> str:
    """One look at a job. The next look is queued before this one starts working, so that a
    worker killed mid-step leaves the job its next look (which waits, a look at a time, until
    the dead worker's hold on the job runs out); a finished job's last look queues none."""
    if not Job.objects.filter(pk=job_id, state__in=Job.OPEN).exists():
        return "finished"
    advance_job.using(run_after=timezone.now() + runner.look_every()).enqueue(job_id)
    job = runner.advance(job_id)
    return job.state if job is not None else "held elsewhere"


def start(job: Job) -> None:
    advance_job.enqueue(job.pk)


def every() -> timedelta:
    return timedelta(minutes=settings.BACKUPSUI_WATCH_MINUTES)


@task()
def tick() -> str:
    now = timezone.now()
    due = now + every()
    if not Schedule.objects.filter(name=TICK, due_at__lte=now).update(due_at=due):
        return "not due: another round has it"
    tick.using(run_after=due).enqueue()
    try:
        sent = watch_everyone()
    except Exception:  # noqa: BLE001 - the jobs and the audit trail still get their turn
        logger.exception("tick: the watch for alerts failed")
        sent = 0
    restarted = 0
    for job in runner.stalled():
        advance_job.enqueue(job.pk)
        restarted += 1
    settled = settle_interrupted()
    logger.info(
        "tick: %d alert(s), %d job(s) restarted, %d event(s) settled", sent, restarted, settled
    )
    return "done"


def keep_ticking() -> None:
    """Queues a round when none is due soon (the first one, or after a lost chain)."""
    now = timezone.now()
    try:
        schedule, created = Schedule.objects.get_or_create(name=TICK, defaults={"due_at": now})
    except IntegrityError:  # made by another request this very moment
        return
    if created or schedule.due_at < now - OVERDUE:
        Schedule.objects.filter(pk=schedule.pk).update(due_at=now)
        tick.enqueue()
