"""When plans run: their cron expressions in their time zones (cronsim), the slots that are
due, and the runs claimed for them through the database.

`enqueue_due_runs(now)` is what a scheduler calls every minute (any number of schedulers,
at once: each slot is claimed by moving the plan's `last_slot` on from what it was, so only
one of them enqueues it). Slots missed while nothing ran give one catch-up run that says how
many were missed; a queued run no worker has started yet takes the newer slot instead of a
second run being queued behind it."""

import logging
from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError
from django.db import IntegrityError
from django.db.models import F, Q
from django.utils import timezone

from .models import Plan, PlanRun

logger = logging.getLogger("backupsui.plans")
MISSED_COUNTED = 10_000  # beyond this many missed slots, the count stops


def valid(expression: str) -> bool:
    try:
        CronSim(expression, datetime.now(tz=ZoneInfo("UTC")))
    except (CronSimError, ValueError, TypeError):
        return False
    return True


def next_runs(expression: str, zone: str, after: datetime, count: int = 5) -> list[datetime]:
    """The next `count` slots after `after`, in the zone."""
    start = after.astimezone(ZoneInfo(zone)).replace(second=0, microsecond=0)
    return list(islice(CronSim(expression, start), count))


GAPS_MEASURED = 1000  # slots looked at to find a schedule's shortest gap


def shortest_gap(expression: str, zone: str, after: datetime) -> timedelta | None:
    """The shortest real-time gap between two consecutive slots among the next
    GAPS_MEASURED (a year of daily slots, 41 days of hourly ones); None when the schedule
    has fewer than two slots. Stops at the first gap of under a minute (none is shorter)."""
    start = after.astimezone(ZoneInfo(zone)).replace(second=0, microsecond=0)
    shortest, before = None, None
    for slot in islice(CronSim(expression, start), GAPS_MEASURED):
        if before is not None:
            gap = slot.astimezone(UTC) - before
            if shortest is None or gap < shortest:
                shortest = gap
            if shortest <= timedelta(minutes=1):
                break
        before = slot.astimezone(UTC)
    return shortest


def latest_slot(plan: Plan, now: datetime) -> datetime | None:
    """The newest slot at or before `now`."""
    minute = now.astimezone(plan.tz).replace(second=0, microsecond=0) + timedelta(minutes=1)
    return next(CronSim(plan.schedule, minute, reverse=True), None)


def slots_between(plan: Plan, since: datetime, until: datetime) -> int:
    """How many slots fall strictly between the two times (counted up to a bound)."""
    counted = 0
    for slot in CronSim(plan.schedule, since.astimezone(plan.tz)):
        if slot >= until or counted >= MISSED_COUNTED:
            break
        counted += 1
    return counted


def enqueue_due_runs(now: datetime | None = None) -> int:
    """Queues one run for each plan whose schedule had a slot since its last; returns how
    many runs were queued. Runs a dead worker left unfinished are queued again."""
    from .tasks import run_plan  # the task module imports the runner, which imports this

    now = now or timezone.now()
    queued = 0
    for plan in Plan.objects.exclude(mode=Plan.Mode.PAUSED):
        run = claim_slot(plan, now)
        if run is not None:
            run_plan.enqueue(run.pk)
            queued += 1
    for run_id in stalled_runs(now):
        run_plan.enqueue(run_id)
        queued += 1
    return queued


def claim_slot(plan: Plan, now: datetime) -> PlanRun | None:
    """The run for the plan's newest due slot, if this caller is the one to claim it."""
    try:
        latest = latest_slot(plan, now)
    except (CronSimError, ValueError):
        logger.warning("plan %s: its schedule %r cannot be read", plan.pk, plan.schedule)
        return None
    since = plan.last_slot or plan.created_at
    if latest is None or latest <= since:
        return None
    same = Q(last_slot=plan.last_slot) if plan.last_slot else Q(last_slot__isnull=True)
    if not Plan.objects.filter(same, pk=plan.pk).update(last_slot=latest):
        return None  # another scheduler claimed it
    missed = slots_between(plan, since, latest)
    waiting = plan.runs.filter(started__isnull=True, now=False).order_by("-slot").first()
    if waiting is not None and PlanRun.objects.filter(pk=waiting.pk, started__isnull=True).update(
        slot=latest, missed=F("missed") + missed + 1
    ):
        return None  # the run still waiting for a worker takes this slot: its task is queued
    try:
        return PlanRun.objects.create(plan=plan, slot=latest, missed=missed)
    except IntegrityError:
        return None


def run_now(plan: Plan, by=None) -> PlanRun:
    """A run of its own, at once ("Run now", pressed by `by`)."""
    from .tasks import run_plan

    run = PlanRun.objects.create(plan=plan, slot=timezone.now(), now=True, asked_by=by)
    run_plan.enqueue(run.pk)
    return run


def stalled_runs(now: datetime) -> list[int]:
    """Runs a worker began and did not finish, whose hold has run out (the worker died)."""
    return list(
        PlanRun.objects.filter(
            started__isnull=False, finished__isnull=True, held_until__lt=now
        ).values_list("pk", flat=True)
    )
