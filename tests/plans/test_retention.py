"""The retention rules against Proxmox's documented meaning, and their properties."""

import random
import time
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from backupsui.plans.retention import (
    BEYOND,
    KEPT_BY_RULE,
    MARKED_KEPT,
    NOT_COMPLETED,
    NOT_THE_PLANS,
    SAME_PERIOD,
    Rules,
    decide,
)
from backupsui.upstream import Backup, Server

START = datetime(2025, 1, 1, tzinfo=UTC)


def backup(backup_id, when, server=1, status="completed", backup_type="manual"):
    return Backup(
        id=backup_id,
        server=Server(id=server, name=f"srv-{server}"),
        backup_type=backup_type,
        status=status,
        created_at=when,
    )


def daily(days, at=START, server=1, first_id=1):
    return [backup(first_id + n, at + timedelta(days=n), server) for n in range(days)]


def kept_ids(decisions):
    return {d.backup.id for d in decisions if d.keep}


def by_id(decisions):
    return {d.backup.id: d for d in decisions}


def test_it_keeps_the_newest_of_each_day_for_keep_daily():
    """Docs: more than one backup in a day: only the latest is kept; days without backups do
    not count."""
    backups = [
        backup(1, datetime(2025, 3, 1, 1, tzinfo=UTC)),
        backup(2, datetime(2025, 3, 1, 13, tzinfo=UTC)),
        backup(3, datetime(2025, 3, 1, 22, tzinfo=UTC)),
        backup(4, datetime(2025, 3, 4, 9, tzinfo=UTC)),  # 2 and 3 March: no backups
        backup(5, datetime(2025, 3, 5, 9, tzinfo=UTC)),
        backup(6, datetime(2025, 2, 20, 9, tzinfo=UTC)),
    ]
    decisions = by_id(decide(backups, {1, 2, 3, 4, 5, 6}, set(), Rules(daily=3)))
    assert kept_ids(decisions.values()) == {3, 4, 5}
    assert decisions[5].rule == "keep-daily 3" and decisions[5].why == KEPT_BY_RULE
    assert decisions[2].why == SAME_PERIOD and decisions[1].why == SAME_PERIOD
    assert decisions[6].why == BEYOND
    assert decisions[6].said == "not kept: beyond keep-daily 3"


def test_it_keeps_hourly_the_latest_of_each_hour():
    """The documentation's hourly example: backups at 1:00, 2:00 and 12:00 each day with
    keep-hourly 4 keeps today's 12:00, 2:00 and 1:00 and yesterday's 12:00."""
    backups = []
    for day in (1, 2):
        for hour in (1, 2, 12):
            backups.append(backup(day * 100 + hour, datetime(2025, 5, day, hour, tzinfo=UTC)))
    backups.append(backup(999, datetime(2025, 5, 2, 12, 30, tzinfo=UTC)))  # same hour, newer
    decisions = decide(backups, {b.id for b in backups}, set(), Rules(hourly=4))
    assert kept_ids(decisions) == {999, 202, 201, 112}


def test_it_does_not_count_a_period_an_earlier_rule_covered():
    """Docs: each option only covers backups within its time period; the next option does not
    take care of already covered backups, it only considers older ones. Daily backups with
    keep-last 3 and keep-daily 13 keep 16 days, "at least two weeks"."""
    backups = daily(40)
    decisions = by_id(decide(backups, {b.id for b in backups}, set(), Rules(last=3, daily=13)))
    assert kept_ids(decisions.values()) == set(range(40 - 16 + 1, 41))
    assert {d.rule for d in decisions.values() if d.keep} == {"keep-last 3", "keep-daily 13"}
    assert decisions[40].rule == "keep-last 3" and decisions[37].rule == "keep-daily 13"


def test_it_follows_the_documented_ten_year_example():
    """Proxmox's retention example for daily backups kept ten years: keep-last 3, keep-daily 13,
    keep-weekly 8, keep-monthly 11, keep-yearly 9: at least two weeks of dailies, two full
    months of weeklies, a year of monthlies, ten years in all; one backup per period."""
    backups = daily(365 * 11, at=datetime(2014, 1, 1, 2, tzinfo=UTC))
    rules = Rules(last=3, daily=13, weekly=8, monthly=11, yearly=9)
    decisions = decide(backups, {b.id for b in backups}, set(), rules)
    kept = sorted((d for d in decisions if d.keep), key=lambda d: d.backup.created_at)
    assert len(kept) == 3 + 13 + 8 + 11 + 9
    newest = kept[-1].backup.created_at
    by_rule = {}
    for d in kept:
        by_rule.setdefault(d.rule, []).append(d.backup.created_at)
    assert newest - min(by_rule["keep-daily 13"]) >= timedelta(days=14)
    assert newest - min(by_rule["keep-weekly 8"]) >= timedelta(days=2 * 30)
    assert newest - min(by_rule["keep-monthly 11"]) >= timedelta(days=365)
    assert newest - min(by_rule["keep-yearly 9"]) >= timedelta(days=365 * 10 - 1)
    assert len({(t.isocalendar()[:2]) for t in by_rule["keep-weekly 8"]}) == 8


def test_it_uses_iso_weeks_across_the_year_end():
    """Weeks start on Monday; 31 December 2020 and 2 January 2021 are both in week 53 of 2020."""
    backups = [
        backup(1, datetime(2020, 12, 27, 12, tzinfo=UTC)),  # Sunday: week 52
        backup(2, datetime(2020, 12, 31, 12, tzinfo=UTC)),  # Thursday: week 53
        backup(3, datetime(2021, 1, 2, 12, tzinfo=UTC)),  # Saturday: week 53
        backup(4, datetime(2021, 1, 4, 12, tzinfo=UTC)),  # Monday: week 1 of 2021
    ]
    decisions = decide(backups, {1, 2, 3, 4}, set(), Rules(weekly=3))
    assert kept_ids(decisions) == {1, 3, 4}


def test_it_counts_days_in_the_plans_time_zone():
    """23:30 and 02:00 UTC the next morning are the same evening in New York."""
    backups = [
        backup(1, datetime(2025, 6, 1, 23, 30, tzinfo=UTC)),
        backup(2, datetime(2025, 6, 2, 2, 0, tzinfo=UTC)),
        backup(3, datetime(2025, 5, 31, 12, tzinfo=UTC)),
    ]
    in_utc = decide(backups, {1, 2, 3}, set(), Rules(daily=2), "UTC")
    in_new_york = decide(backups, {1, 2, 3}, set(), Rules(daily=2), "America/New_York")
    assert kept_ids(in_utc) == {1, 2}
    assert kept_ids(in_new_york) == {2, 3}


def test_it_never_lets_go_what_it_must_keep():
    backups = [
        backup(1, START),
        backup(2, START + timedelta(days=1)),
        backup(3, START + timedelta(days=2), status="in_progress"),
        backup(4, START + timedelta(days=3), backup_type="automatic"),  # not the plan's
        backup(5, START - timedelta(days=9)),
    ]
    decisions = by_id(decide(backups, {1, 2, 3, 5}, {1}, Rules(last=1)))
    assert decisions[1].why == MARKED_KEPT
    assert decisions[2].why == KEPT_BY_RULE
    assert decisions[3].why == NOT_COMPLETED
    assert decisions[4].why == NOT_THE_PLANS
    assert not decisions[5].keep


def test_it_keeps_a_servers_newest_completed_backup_whatever_the_rules():
    backups = daily(5)
    # The newest is marked kept: it stays for that, and does not use up keep-daily 1.
    decisions = by_id(decide(backups, {1, 2, 3, 4, 5}, {5}, Rules(daily=1)))
    assert decisions[5].why == MARKED_KEPT and decisions[4].keep
    others = by_id(decide(backups, {1, 2, 3, 4}, set(), Rules(last=1)))
    assert others[5].why == NOT_THE_PLANS  # the newest, not the plan's: it stays
    assert others[4].why == KEPT_BY_RULE and not others[3].keep


def test_it_keeps_everything_without_rules():
    backups = daily(5)
    assert all(d.keep for d in decide(backups, {1, 2, 3, 4, 5}, set(), Rules()))


def test_it_keeps_each_servers_rules_apart():
    backups = daily(5, server=1) + daily(5, server=2, first_id=100)
    made = {b.id for b in backups}
    assert kept_ids(decide(backups, made, set(), Rules(last=2))) == {4, 5, 103, 104}


moments = st.datetimes(
    min_value=datetime(2023, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)
backup_lists = st.lists(
    st.tuples(
        moments,
        st.integers(1, 3),
        st.sampled_from(["completed", "completed", "completed", "in_progress", "failed"]),
        st.booleans(),  # made by the plan
        st.booleans(),  # marked kept
    ),
    max_size=60,
)
rule_sets = st.builds(
    Rules,
    last=st.integers(0, 4),
    hourly=st.integers(0, 4),
    daily=st.integers(0, 6),
    weekly=st.integers(0, 4),
    monthly=st.integers(0, 4),
    yearly=st.integers(0, 3),
)
zones = st.sampled_from(["UTC", "America/New_York", "Pacific/Apia", "Asia/Kolkata"])


def _made(rows):
    backups = [
        backup(n + 1, when, server, status) for n, (when, server, status, *_f) in enumerate(rows)
    ]
    made = {n + 1 for n, row in enumerate(rows) if row[3]}
    kept = {n + 1 for n, row in enumerate(rows) if row[4]}
    return backups, made, kept


@settings(max_examples=300, deadline=None)
@given(backup_lists, rule_sets, zones, st.randoms(use_true_random=False))
def test_it_holds_its_promises_for_any_list(rows, rules, zone, shuffler):
    backups, made, kept = _made(rows)
    decisions = decide(backups, made, kept, rules, zone)
    # Kept and let go partition the input: one decision per backup.
    assert sorted(d.backup.id for d in decisions) == sorted(b.id for b in backups)
    going = {d.backup.id for d in decisions if not d.keep}
    # Only the plan's completed backups, never a marked one, never a server's newest.
    for b in backups:
        if b.id in going:
            assert b.id in made and b.id not in kept and b.status == "completed"
    for server in {b.server.id for b in backups}:
        done = [b for b in backups if b.server.id == server and b.status == "completed"]
        if done:
            assert max(done, key=lambda b: (b.created_at, b.id)).id not in going
    # Applying the rules again to what is left lets nothing more go.
    left = [b for b in backups if b.id not in going]
    assert not [d for d in decide(left, made, kept, rules, zone) if not d.keep]
    # The list's order does not matter.
    shuffled = list(backups)
    shuffler.shuffle(shuffled)
    again = decide(shuffled, made, kept, rules, zone)
    assert {(d.backup.id, d.keep, d.rule) for d in again} == {
        (d.backup.id, d.keep, d.rule) for d in decisions
    }


def test_it_decides_a_hundred_thousand_backups_in_half_a_second():
    rng = random.Random(7)
    backups = []
    for server in range(1, 1001):
        for n in range(100):
            when = START + timedelta(hours=6 * n, minutes=rng.randrange(60))
            backups.append(backup(server * 1000 + n, when, server))
    rng.shuffle(backups)
    made = {b.id for b in backups}
    rules = Rules(last=3, hourly=4, daily=7, weekly=4, monthly=6, yearly=2)
    # The processor time it takes (the machine may be shared with other work).
    started = time.process_time()
    decisions = decide(backups, made, set(), rules, "America/New_York")
    took = time.process_time() - started
    assert len(decisions) == 100_000
    assert 0 < sum(not d.keep for d in decisions) < 100_000
    assert took <= 0.5, f"{took:.3f} s"
