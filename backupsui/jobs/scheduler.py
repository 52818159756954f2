"""The periodic rounds and when each is due: `manage.py scheduler` claims a due round
through its `Schedule` row (a conditional UPDATE, so of several schedulers running at once
exactly one wins each slot) and queues its task in the same transaction.

A round due while no scheduler ran is queued once when one comes back, not once per missed
slot; on time, rounds keep to their grid (due, due + every, due + 2 × every, …)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Schedule


def watch_every() -> timedelta:
    return timedelta(minutes=settings.BACKUPSUI_WATCH_MINUTES)


@dataclass(frozen=True)
class Round:
    name: str  # the Schedule row's name
    task: str  # the task's import path; it takes the slot (ISO time) as its argument
    every: object = watch_every  # a function returning the interval

    def queue(self, slot: datetime) -> None:
        import_string(self.task).enqueue(slot.isoformat())


def every_minute() -> timedelta:
    return timedelta(minutes=1)


def every_quarter_hour() -> timedelta:
    return timedelta(minutes=15)


ROUNDS = [
    Round("alerts", "backupsui.alerts.tasks.alerts_round"),
    Round("housekeeping", "backupsui.jobs.tasks.housekeeping"),
    # Plans' slots are a minute apart at the finest (cron): found due once a minute.
    Round("plans", "backupsui.plans.tasks.plan_round", every_minute),
    # The weekly report emails are due Mondays at 07:00 (backupsui.alerts.weekly): looked
    # for every quarter of an hour, each person's week sent once whoever runs the round.
    Round("weekly_reports", "backupsui.alerts.tasks.weekly_report_round", every_quarter_hour),
]


def every_words(every: timedelta) -> str:
    """An interval as the logs say it (English): "every minute", "every 10 minutes"."""
    seconds = every.total_seconds()
    if seconds % 60:
        return f"every {seconds:g} seconds"
    minutes = int(seconds // 60)
    return "every minute" if minutes == 1 else f"every {minutes} minutes"


def start_line() -> str:
    """What the scheduler says when it starts: each round and how often it is queued."""
    rounds = ", ".join(f"{round_.name} {every_words(round_.every())}" for round_ in ROUNDS)
    return f"scheduler: rounds {rounds}"


def _due_at(name: str, now: datetime) -> datetime:
    try:
        with transaction.atomic():
            schedule, _ = Schedule.objects.get_or_create(name=name, defaults={"due_at": now})
    except IntegrityError:  # made by another scheduler this very moment
        schedule = Schedule.objects.get(name=name)
    return schedule.due_at


def claim(round_: Round, now: datetime | None = None) -> datetime | None:
    """Queues the round if it is due and this scheduler wins it; returns the slot won."""
    now = now or timezone.now()
    due = _due_at(round_.name, now)
    if due > now:
        return None
    every = round_.every()
    following = due + every
    if following <= now:  # slots were missed: one round now, then every `every` from now
        following = now + every
    with transaction.atomic():
        won = Schedule.objects.filter(name=round_.name, due_at=due, due_at__lte=now).update(
            due_at=following
        )
        if won:
            round_.queue(due)
    return due if won else None


def run_due() -> list[tuple[str, datetime]]:
    """One pass over every round: those this scheduler queued, with their slots."""
    queued, now = [], timezone.now()
    # Every round's row made at once, from one clock: schedulers starting together (each
    # making some of the rows at its own `now`) would otherwise leave the rounds on grids a
    # few milliseconds apart.
    Schedule.objects.bulk_create(
        [Schedule(name=round_.name, due_at=now) for round_ in ROUNDS], ignore_conflicts=True
    )
    for round_ in ROUNDS:
        slot = claim(round_, now)
        if slot is not None:
            queued.append((round_.name, slot))
    return queued
