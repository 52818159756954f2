"""Plans' schedules over time (time-machine): slots in the plan's zone across daylight-saving
changes and the date line, one run per slot however many schedulers, one catch-up run."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backupsui.plans import runner
from backupsui.plans.models import Plan, PlanRun
from backupsui.plans.schedule import claim_slot, enqueue_due_runs, next_runs

NEW_YORK = ZoneInfo("America/New_York")
RAN = PlanRun.Outcome.ATTENTION  # how a run of plan_for's plans ends
APIA = ZoneInfo("Pacific/Apia")


def plan_for(owner, **values) -> Plan:
    values.setdefault("name", "Nightly")
    # Covers no server: a run makes its one list call and nothing else (and ends needing
    # attention, as its pattern matches no server's name: RAN).
    values.setdefault("servers", Plan.Servers.PATTERN)
    values.setdefault("pattern", "no-such-server-*")
    return Plan.objects.create(owner=owner, **values)


def rounds(start: datetime, end: datetime, every: timedelta, work=True):
    """A scheduler's round every `every` (and a worker running what it queued)."""
    moment = start
    while moment <= end:
        with time_machine.travel(moment, tick=False):
            enqueue_due_runs(moment)
            if work:
                for run in PlanRun.objects.filter(started__isnull=True):
                    runner.carry_out(run.pk)
        moment += every


def local_days(plan):
    return [run.slot.astimezone(plan.tz) for run in plan.runs.order_by("slot")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("first", "last"),
    [
        (datetime(2026, 3, 6, tzinfo=NEW_YORK), datetime(2026, 3, 11, tzinfo=NEW_YORK)),
        (datetime(2026, 10, 30, tzinfo=NEW_YORK), datetime(2026, 11, 4, tzinfo=NEW_YORK)),
    ],
)
def test_it_runs_daily_at_half_past_two_once_a_day_across_daylight_saving(
    operator, sandbox, first, last
):
    plan = plan_for(operator, schedule="30 2 * * *", zone="America/New_York")
    Plan.objects.filter(pk=plan.pk).update(created_at=first)
    rounds(first, last, timedelta(minutes=20))
    slots = local_days(plan)
    assert [s.date() for s in slots] == [(first + timedelta(days=n)).date() for n in range(5)], (
        slots
    )
    assert all(run.outcome == RAN and run.missed == 0 for run in plan.runs.all())
    # 8 March 2026 has no 02:30 in New York: that day's run is at 03:00, once.
    for slot in slots:
        assert (slot.hour, slot.minute) in ((2, 30), (3, 0))


def test_it_shows_the_next_runs_in_the_plans_zone():
    after = datetime(2026, 3, 7, 12, tzinfo=UTC)
    runs = next_runs("30 2 * * *", "America/New_York", after)
    assert [r.isoformat() for r in runs[:3]] == [
        "2026-03-08T03:00:00-04:00",
        "2026-03-09T02:30:00-04:00",
        "2026-03-10T02:30:00-04:00",
    ]
    assert len(runs) == 5


@pytest.mark.django_db(transaction=True)
def test_it_runs_in_apia_at_its_own_time_and_over_the_day_it_skipped(operator, sandbox):
    """Apia is 13 hours ahead of UTC: 09:00 there is 20:00 UTC the day before. In 2011 it
    skipped 30 December: that day's run is at the first moment after the gap, once."""
    plan = plan_for(operator, schedule="0 9 * * *", zone="Pacific/Apia")
    start = datetime(2026, 6, 1, 12, tzinfo=UTC)
    Plan.objects.filter(pk=plan.pk).update(created_at=start)
    rounds(start, start + timedelta(days=3), timedelta(minutes=30))
    slots = [run.slot for run in plan.runs.order_by("slot")]
    assert [s.astimezone(UTC).isoformat() for s in slots] == [
        "2026-06-01T20:00:00+00:00",
        "2026-06-02T20:00:00+00:00",
        "2026-06-03T20:00:00+00:00",
    ]
    skipped = next_runs("0 12 * * *", "Pacific/Apia", datetime(2011, 12, 28, tzinfo=APIA), 4)
    assert [s.isoformat() for s in skipped] == [
        "2011-12-28T12:00:00-10:00",
        "2011-12-29T12:00:00-10:00",
        "2011-12-31T00:00:00+14:00",
        "2011-12-31T12:00:00+14:00",
    ]


@pytest.mark.django_db(transaction=True)
def test_it_gives_one_catch_up_run_after_a_worker_stopped_for_ten_slots(operator, sandbox):
    plan = plan_for(operator, schedule="* * * * *")
    start = datetime(2026, 5, 4, 10, 0, 30, tzinfo=UTC)
    Plan.objects.filter(pk=plan.pk).update(created_at=start)
    # The schedulers go on; no worker runs for ten slots.
    rounds(
        start + timedelta(minutes=1),
        start + timedelta(minutes=10),
        timedelta(minutes=1),
        work=False,
    )
    assert plan.runs.count() == 1
    run = plan.runs.get()
    assert run.missed == 9
    with time_machine.travel(start + timedelta(minutes=10, seconds=20), tick=False):
        assert runner.carry_out(run.pk).outcome == RAN
    # Nothing ran at all (no scheduler either) for ten slots: one run, nine missed.
    later = start + timedelta(minutes=20, seconds=5)
    with time_machine.travel(later, tick=False):
        enqueue_due_runs(later)
    assert plan.runs.count() == 2
    assert plan.runs.order_by("-slot").first().missed == 9


@pytest.mark.django_db(transaction=True)
def test_it_claims_each_slot_once_however_many_schedulers(operator):
    plan = plan_for(operator, schedule="*/5 * * * *")
    start = datetime(2026, 5, 4, 10, 1, tzinfo=UTC)
    Plan.objects.filter(pk=plan.pk).update(created_at=start)
    seen_by_each = [Plan.objects.get(pk=plan.pk) for _ in range(3)]
    now = start + timedelta(minutes=5)
    claimed = [claim_slot(copy, now) for copy in seen_by_each]
    assert len([run for run in claimed if run is not None]) == 1
    assert enqueue_due_runs(now) == 0
    assert plan.runs.count() == 1
