"""Which servers the plans cover, how often each plan runs, and when next: what the servers
page shows beside each server, and what a server's health follows (the backups pages ask
through the hook this app sets when it starts: facts.py).

A plan that is not paused (active, or preview only: that one makes its backups too) covers a
server when the server is in its owner's account and its servers' choice takes it (every
server, chosen ones, a name pattern). The owner's account is the servers the owner's token
has shown (`SeenServer`, noted from every list that token fetches, each run's included): the
same answer whichever person's list is being looked at, so the servers' states kept from
several tokens' lists agree."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import islice
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError
from django.utils import timezone

from backupsui.backups.models import SeenServer

from .models import Plan
from .schedule import next_runs

AROUND = timedelta(weeks=1)
# Slots looked at, at most (about 0.15 s): a schedule that runs more often than every five
# minutes over the fortnight is judged by its first 4,000 slots' gaps.
MOST_SLOTS = 4000


@lru_cache(maxsize=256)
def _period(schedule: str, zone: str, hour: datetime) -> timedelta | None:
    start = (hour - AROUND).astimezone(ZoneInfo(zone))
    latest = next(CronSim(schedule, start, reverse=True), None)
    begin = latest if latest is not None else start
    until = hour + timedelta(hours=1) + AROUND
    slots = []
    for slot in islice(CronSim(schedule, begin - timedelta(minutes=1)), MOST_SLOTS):
        slots.append(slot.astimezone(UTC))  # real time: a wall clock's 02:30s are 23-25 h apart
        if slots[-1] > until:
            break
    gaps = [b - a for a, b in zip(slots, slots[1:], strict=False) if b > a]
    return max(gaps) if gaps else None


def period(schedule: str, zone: str, now: datetime) -> timedelta | None:
    """How often the schedule runs: the longest gap, in real time, between two consecutive
    slots from a week before now to a week after (the slot before and the slot after that
    fortnight included). A regular schedule gives its one gap (every 6 hours: 6 hours); an
    irregular one its longest (weekdays at 9:00: the weekend's 72 hours), so a server is never
    called late on a day its plan does not run. Across a change of daylight-saving time the gap
    is the real one, and the longest counts for the week before and after it (a daily 02:30 in
    New York is 25 hours apart when the clocks go back: its period is 25 hours from a week
    before that night to a week after). None for a schedule that cannot be read. Worked out
    once an hour per schedule and zone, from at most MOST_SLOTS slots."""
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    try:
        return _period(schedule, zone, hour)
    except (CronSimError, ValueError, KeyError):
        return None


@dataclass(frozen=True, slots=True)
class Covering:
    plan: Plan
    period: timedelta
    next: datetime | None


def covering(servers: dict[int, str], now: datetime | None = None) -> dict[int, list[Covering]]:
    """Server id → the plans that cover it, shortest period first (servers id → name)."""
    now = now or timezone.now()
    plans = []
    for plan in Plan.objects.exclude(mode=Plan.Mode.PAUSED).order_by("name", "id"):
        every = period(plan.schedule, plan.zone, now)
        if every is not None:
            runs = _next_run(plan.schedule, plan.zone, now)
            plans.append(Covering(plan, every, runs))
    if not plans:
        return {}
    owners = {c.plan.owner_id for c in plans}
    accounts: dict[int, set[int]] = {owner: set() for owner in owners}
    for user_id, server_id in SeenServer.objects.filter(user_id__in=owners).values_list(
        "user_id", "server_id"
    ):
        accounts[user_id].add(server_id)
    found: dict[int, list[Covering]] = {}
    for server_id, name in servers.items():
        for each in plans:
            plan = each.plan
            if server_id in accounts[plan.owner_id] and plan.covers(server_id, name):
                found.setdefault(server_id, []).append(each)
    for each in found.values():
        each.sort(key=lambda c: c.period)
    return found


def _next_run(schedule: str, zone: str, now: datetime) -> datetime | None:
    try:
        runs = next_runs(schedule, zone, now, count=1)
    except (CronSimError, ValueError, KeyError):
        return None
    return runs[0] if runs else None
