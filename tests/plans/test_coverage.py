"""A server a plan covers is late by its plan's schedule: the plan's period (in real time,
across daylight-saving changes), half a period of grace, the shortest of several plans, only
plans that run, only servers of the owner's account; the same health in the servers' states
the round keeps (hence /metrics and the alerts), and the reason on the pages."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from backupsui.backups import servers_seen
from backupsui.backups.lists import BackupList
from backupsui.backups.models import SeenServer, ServerState
from backupsui.plans.coverage import covering, period
from backupsui.plans.models import Plan
from backupsui.upstream import Backup, Server
from tests.conftest import start_sandbox
from tests.helpers import text

WEB, DB, OTHER = 12345, 12346, 12347
NAMES = {WEB: "web-server-01", DB: "db-server-02", OTHER: "cache-server-03"}


@pytest.mark.parametrize(
    ("schedule", "zone", "now", "expected"),
    [
        ("0 */6 * * *", "UTC", datetime(2026, 5, 1, 10, 20, tzinfo=UTC), timedelta(hours=6)),
        ("0 9 * * 1-5", "UTC", datetime(2026, 5, 6, 12, tzinfo=UTC), timedelta(days=3)),
        ("0 0 1 * *", "UTC", datetime(2026, 5, 3, tzinfo=UTC), timedelta(days=31)),
        # New York's clocks go back on 1 November 2026: 02:30 to 02:30 is 25 hours then, for
        # the week before and the week after that night; a fortnight later, 24 again.
        ("30 2 * * *", "America/New_York", datetime(2026, 10, 26, tzinfo=UTC), timedelta(hours=25)),
        ("30 2 * * *", "America/New_York", datetime(2026, 11, 7, tzinfo=UTC), timedelta(hours=25)),
        (
            "30 2 * * *",
            "America/New_York",
            datetime(2026, 11, 9, 12, tzinfo=UTC),
            timedelta(hours=24),
        ),
        ("30 2 * * *", "Pacific/Apia", datetime(2026, 5, 1, tzinfo=UTC), timedelta(hours=24)),
        ("0 0 30 2 *", "UTC", datetime(2026, 5, 1, tzinfo=UTC), None),
        ("not cron", "UTC", datetime(2026, 5, 1, tzinfo=UTC), None),
    ],
)
def test_it_works_out_a_schedules_period_in_real_time(schedule, zone, now, expected):
    assert period(schedule, zone, now) == expected


def completed(server_id: int, at: datetime, backup_id: int = 1) -> Backup:
    return Backup(
        id=backup_id,
        server=Server(id=server_id, name=NAMES[server_id]),
        backup_type="manual",
        status="completed",
        created_at=at,
    )


def health_at(moment: datetime, *backups: Backup) -> dict:
    """Each server's health and the plan it follows, as a fresh list fetched at `moment`."""
    with time_machine.travel(moment, tick=False):
        listed = BackupList(list(backups))
        return {s.id: (s.health, s.due) for s in listed.health(timezone.now())}


@pytest.fixture
def account(operator):
    """The operator's token has shown the three servers: its account."""
    for server_id, name in NAMES.items():
        SeenServer.objects.create(
            user=operator,
            token_saved_at=operator.api_token.saved_at,
            server_id=server_id,
            name=name,
        )
    return operator


def six_hourly(owner, **fields) -> Plan:
    values = {"name": "Six-hourly", "schedule": "0 */6 * * *", "zone": "UTC"}
    values.update(servers="chosen", server_ids=[WEB])
    values.update(fields)
    return Plan.objects.create(owner=owner, **values)


TAKEN = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)  # a slot of every six hours


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("after", "health"),
    [
        (timedelta(hours=9), "good"),  # the period and half a period: just inside
        (timedelta(hours=9, seconds=1), "late"),  # just outside
        (timedelta(hours=15), "late"),  # two periods and a half: still late
        (timedelta(hours=15, seconds=1), "bad"),
    ],
)
def test_it_is_late_for_its_plan_after_a_period_and_a_half(account, after, health):
    plan = six_hourly(account)
    found = health_at(TAKEN + after, completed(WEB, TAKEN), completed(OTHER, TAKEN, 2))
    assert found[WEB][0] == health
    assert found[WEB][1].plan_id == plan.pk and found[WEB][1].period == timedelta(hours=6)
    # A server no plan covers keeps the settings' lines (26 and 48 hours): good all along.
    assert found[OTHER] == ("good", None)


@pytest.mark.django_db
def test_it_follows_the_real_gap_across_the_night_the_clocks_go_back(account):
    six_hourly(account, name="Nightly", schedule="30 2 * * *", zone="America/New_York")
    # 02:30 EDT on 31 October; the next slot is 02:30 EST on 1 November, 25 hours later: a
    # period of 25 hours, late after 37.5 (a wall clock's 24 would say late after 36).
    taken = datetime(2026, 10, 31, 6, 30, tzinfo=UTC)
    assert (
        health_at(taken + timedelta(hours=36, minutes=30), completed(WEB, taken))[WEB][0] == "good"
    )
    edge = taken + timedelta(hours=37, minutes=30)
    assert health_at(edge, completed(WEB, taken))[WEB][0] == "good"
    assert health_at(edge + timedelta(seconds=1), completed(WEB, taken))[WEB][0] == "late"


@pytest.mark.django_db
def test_it_follows_the_plan_that_runs_most_often_and_only_plans_that_run(account):
    six_hourly(account, name="Daily", schedule="0 6 * * *")
    hourly = six_hourly(account, name="Hourly", schedule="0 * * * *", mode="preview")
    six_hourly(account, name="Every ten minutes", schedule="*/10 * * * *", mode="paused")
    found = health_at(TAKEN + timedelta(hours=2), completed(WEB, TAKEN))
    assert found[WEB][0] == "late"  # the hourly plan's 1.5 hours passed (the daily's 36 not)
    assert found[WEB][1].plan_id == hourly.pk and found[WEB][1].period == timedelta(hours=1)


@pytest.mark.django_db
def test_it_covers_only_servers_of_the_owners_account(account, support):
    """A plan of "every server" covers what its owner's token has shown, whoever's list it is."""
    plan = six_hourly(account, servers="all", server_ids=[])
    SeenServer.objects.filter(user=account, server_id=OTHER).delete()
    found = covering({WEB: NAMES[WEB], DB: NAMES[DB], OTHER: NAMES[OTHER]})
    assert {s: [c.plan.pk for c in cs] for s, cs in found.items()} == {
        WEB: [plan.pk],
        DB: [plan.pk],
    }
    pattern = six_hourly(support, name="Support's web", servers="pattern", pattern="web-*")
    SeenServer.objects.create(
        user=support, token_saved_at=support.api_token.saved_at, server_id=WEB, name=NAMES[WEB]
    )
    found = covering({WEB: NAMES[WEB], DB: NAMES[DB]})
    assert [c.plan.pk for c in found[WEB]] == [plan.pk, pattern.pk]
    assert [c.plan.pk for c in found[DB]] == [plan.pk]


@pytest.mark.django_db
def test_it_keeps_the_plans_health_in_the_servers_states(account):
    """The round's record (read by /metrics and the alerts) follows the plan too."""
    six_hourly(account)
    moment = TAKEN + timedelta(hours=10)
    with time_machine.travel(moment, tick=False):
        listed = BackupList([completed(WEB, TAKEN), completed(OTHER, TAKEN, 2)])
        servers_seen.record(listed)
    states = dict(ServerState.objects.values_list("server_id", "health"))
    assert states == {WEB: "late", OTHER: "good"}


@pytest.mark.django_db
def test_it_alerts_when_a_server_turns_bad_for_its_plan(account, mailoutbox):
    """Sixteen hours: bad for a six-hourly plan (two periods and a half), while a server no
    plan covers is good until the settings' 26 hours."""
    from backupsui.alerts.models import Subscription
    from backupsui.alerts.watch import watch

    type(account).objects.filter(pk=account.pk).update(email="olivia@example.test")
    account.refresh_from_db()
    six_hourly(account)
    subscription = Subscription.objects.create(
        user=account, on_failure=False, on_bad=True, by_email=True, watching_since=TAKEN
    )
    with time_machine.travel(TAKEN + timedelta(hours=16), tick=False):
        listed = BackupList([completed(WEB, TAKEN), completed(OTHER, TAKEN, 2)])
        assert watch(subscription, listed) == 1
    [mail] = mailoutbox
    assert "web-server-01 (#12345) is bad" in mail.body and "cache-server" not in mail.body


@pytest.fixture
def seeded(settings):
    """A sandbox whose newest backups are the 03:00 UTC automatic ones, started at 13:00."""
    with time_machine.travel(datetime(2026, 6, 10, 13, 0, tzinfo=UTC)):
        server = start_sandbox(servers=3, manual_per_server=0, completion_delay=0)
        settings.BACKUPS_API_URL = server.url
        yield server
        server.stop()


@pytest.mark.django_db
def test_it_shows_why_a_server_is_late_for_its_plan(seeded, operator, operator_client):
    six_hourly(operator)
    Plan.objects.create(owner=operator, name="Daily db", servers="chosen", server_ids=[DB])
    page = text(operator_client.get("/servers/"))
    rows = {
        server: re.search(rf'<tr id="server-{server}">(.*?)</tr>', page, re.S).group(1)
        for server in NAMES
    }
    assert "badge-health-late" in rows[WEB]
    assert (
        "late for plan Six-hourly: no completed backup for 10 hours, due every 6 hours"
        in (rows[WEB])
    )
    # Covered and on time: its plan and next run, no reason to give.
    assert "badge-health-good" in rows[DB] and "plan Daily db" in rows[DB]
    assert "for plan" not in rows[DB] and "2026-06-11 02:30" in rows[DB]
    assert "badge-health-good" in rows[OTHER] and "plan " not in rows[OTHER]
    server_page = text(operator_client.get(f"/servers/{WEB}/"))
    assert "Late for plan Six-hourly: no completed backup for 10 hours, due every 6 hours." in (
        server_page
    )
    db_page = text(operator_client.get(f"/servers/{DB}/"))
    assert "Follows plan Daily db: a backup due every 24 hours, the newest 10 hours old." in (
        db_page
    )
