"""Backup health across servers, against the sandbox: every column, worst first, the edges
of the thresholds, the summary's links, and unknown statuses that never count as good."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from backupsui.backups.health import assess
from backupsui.upstream import Backup, Server
from tests.conftest import start_sandbox
from tests.helpers import body_of, text

NOW = datetime.now(UTC)


@pytest.fixture
def world(settings):
    """Six servers of acme, each telling one story."""
    server = start_sandbox(servers=6, completion_delay=3600)
    settings.BACKUPS_API_URL = server.url
    state = server.state
    for backup_id in [i for i, b in state.backups.items() if b.server.account == "acme"]:
        del state.backups[backup_id]
    now = datetime.now(UTC)
    made = {
        "good_edge": state.add_backup(12345, created_at=now - timedelta(hours=25, minutes=59)),
        "never": state.add_backup(12345, backup_type="manual", created_at=now - timedelta(days=3)),
        "late_edge": state.add_backup(12346, created_at=now - timedelta(hours=26)),
        "late": state.add_backup(12347, created_at=now - timedelta(hours=30)),
        "fresh": state.add_backup(12348, created_at=now - timedelta(hours=3), size_mb=1000),
        "failed": state.add_backup(12348, status="failed", created_at=now - timedelta(days=1)),
        "old_failure": state.add_backup(12348, status="failed", created_at=now - timedelta(days=8)),
        "stale": state.add_backup(12349, created_at=now - timedelta(hours=50)),
        "running": state.add_backup(12349, status="in_progress", created_at=now),
        "gone": state.add_backup(12350, created_at=now - timedelta(hours=5)),
    }
    yield server, made
    server.stop()


def rows(page: str) -> list[int]:
    import re

    return [int(i) for i in re.findall(r'<tr id="server-(\d+)"', page)]


def test_it_shows_every_server_worst_first_with_every_column(world, operator_client):
    server, made = world
    operator_client.get("/servers/")  # the panel sees 12350 once, with its backup
    server.state.delete_backup("acme", made["gone"].id)
    server.state.clock = lambda: datetime.now(UTC) + timedelta(seconds=1)
    from backupsui.backups.lists import memory

    memory.clear()
    page = text(operator_client.get("/servers/"))
    assert rows(page) == [12350, 12349, 12347, 12346, 12345, 12348]
    row = {sid: page.split(f'id="server-{sid}"')[1].split("</tr>")[0] for sid in rows(page)}
    assert "bad" in row[12350] and "none" in row[12350]  # seen before, no backup now
    assert "bad" in row[12349] and "running" in row[12349]
    assert "late" in row[12347] and "late" in row[12346]  # 26 hours is late
    assert "good" in row[12345]  # 25 hours 59 minutes is good
    assert f"#backup-{made['good_edge'].id}" in row[12345] and "Automatic" in row[12345]
    assert "1 manual, never expires" in row[12345]
    failures = 'href="/backups/?server_id=12348&amp;status=failed&amp;within=7">1</a>'
    assert failures in row[12348]
    assert ">3<" in row[12348]  # three backups in all; one failure within the 7 days
    assert "3\xa0hours ago" in row[12348] or "3 hours ago" in row[12348]
    assert 'href="/backups/new/?server_id=12349&amp;back=%2Fservers%2F"' in row[12349]
    assert "in 2" in row[12348]  # the next expiry, a month after the freshest
    summary = page.split('class="health-summary"')[1].split("</p>")[0]
    assert "6 servers" in summary
    assert 'href="/servers/?health=good">2 good</a>' in summary
    assert 'href="/servers/?health=late">2 late</a>' in summary
    assert 'href="/servers/?health=bad">2 bad</a>' in summary


def test_it_links_the_failures_of_the_week_to_exactly_them(world, operator_client):
    from tests.helpers import row_ids

    server, made = world
    listed = row_ids(operator_client.get("/backups/?server_id=12348&status=failed&within=7"))
    assert listed == [made["failed"].id]  # the failure of 8 days ago is not counted, nor shown
    everything = row_ids(operator_client.get("/backups/?server_id=12348&status=failed"))
    assert sorted(everything) == sorted([made["failed"].id, made["old_failure"].id])


def test_it_filters_and_sorts(world, operator_client):
    assert rows(text(operator_client.get("/servers/", {"health": "late"}))) == [12347, 12346]
    db_servers = rows(text(operator_client.get("/servers/", {"q": "DB-SERVER"})))
    assert db_servers == [12349, 12346]  # db-server-05 is bad, db-server-02 late
    by_name = rows(text(operator_client.get("/servers/", {"sort": "name"})))
    assert by_name == [12347, 12350, 12346, 12349, 12345, 12348]  # cache-, db-, web-server
    oldest_good = rows(text(operator_client.get("/servers/", {"sort": "last-good"})))
    assert oldest_good[0] == 12349 and oldest_good[-1] == 12348


def test_it_shows_the_summary_on_the_list_too(world, operator_client):
    page = text(operator_client.get("/backups/"))
    assert 'href="/servers/?health=bad">1 bad</a>' in page


def test_it_exports_the_same_columns(world, operator_client):
    response = operator_client.get("/servers/export.csv", {"health": "good"})
    found = list(csv.DictReader(io.StringIO(body_of(response))))
    assert [r["server id"] for r in found] == ["12345", "12350", "12348"]
    fresh = found[2]
    assert fresh["health"] == "good" and fresh["failures in 7 days"] == "1"
    assert fresh["backups"] == "3" and fresh["running now"] == "no"
    assert float(fresh["total size (MB)"]) >= 1000


def backup(status, hours, server=1, backup_type="automatic"):
    return Backup(
        id=hash((status, hours, server)) % 10**6 + 1,
        server=Server(id=server, name=f"s{server}"),
        backup_type=backup_type,
        status=status,
        created_at=NOW - timedelta(hours=hours),
    )


@pytest.mark.parametrize(
    ("hours", "health"),
    [(25.98, "good"), (26, "late"), (47.98, "late"), (48, "bad"), (400, "bad")],
)
def test_it_draws_the_lines_at_the_settings(settings, hours, health):
    settings.BACKUPSUI_HEALTH_LATE_HOURS = 26
    settings.BACKUPSUI_HEALTH_BAD_HOURS = 48
    [server] = assess([backup("completed", hours)], {}, NOW)
    assert server.health == health


@pytest.mark.parametrize(
    "status", ["failed", "in_progress", "pending", "deleting", "", "COMPLETED"]
)
def test_it_never_counts_another_status_as_good(status):
    [server] = assess([backup(status, 1)], {}, NOW)
    assert server.health == "bad" and server.newest is None


def test_it_flags_an_odd_newest_backup_on_the_list_and_filters_servers_by_it(
    sandbox, operator_client
):
    """The sandbox's sizes stay near each server's usual; a 10 MB dump of web-server-01 does
    not, and is the only odd one."""
    sandbox.state.add_backup(12345, size_mb=10)
    odd_only = operator_client.get("/servers/", {"odd": "on"})
    assert odd_only.status_code == 200
    assert 'id="server-12345"' in text(odd_only) and 'id="server-12346"' not in text(odd_only)
    listed = text(operator_client.get("/backups/", {"server_id": 12345}))
    assert listed.count('class="badge badge-odd"') == 1 and "smaller than usual" in listed
    assert 'class="badge badge-odd"' not in text(
        operator_client.get("/backups/", {"server_id": 12346})
    )


def test_it_keeps_a_server_without_backups_when_the_token_is_replaced_or_another_stored(
    world, operator, support, operator_client, support_client
):
    """Health follows servers, not tokens: the spare token of the same account (the test
    sandbox's SUPPORT_TOKEN is acme's, as OPERATOR_TOKEN is) keeps what the old one showed."""
    from backupsui.accounts import tokens
    from backupsui.audit.actors import Actor
    from backupsui.backups.lists import memory
    from tests.conftest import SUPPORT_TOKEN

    server, made = world
    operator_client.get("/servers/")  # olivia's token shows 12350, with its backup
    server.state.delete_backup("acme", made["gone"].id)
    memory.clear()
    assert 12350 in rows(text(operator_client.get("/servers/")))
    # She replaces her token with the spare one of the same account.
    tokens.verify_and_save(Actor.named("olivia"), operator, SUPPORT_TOKEN)
    page = text(operator_client.get("/servers/"))
    assert 12350 in rows(page) and "6 servers" in page
    row = page.split('id="server-12350"')[1].split("</tr>")[0]
    assert "bad" in row and "none" in row
    assert operator_client.get("/servers/12350/").status_code == 200
    listed = text(operator_client.get("/backups/"))
    assert '<option value="12350"' in listed  # in the server picker
    # A colleague storing that token for the first time sees it too, in his picker as well.
    assert 12350 in rows(text(support_client.get("/servers/")))
    assert '<option value="12350"' in text(support_client.get("/backups/"))
    assert support_client.get("/servers/12350/").status_code == 200
    new_form = text(support_client.get("/backups/new/"))
    assert "(#12350)" in new_form  # among the New backup form's suggestions


def test_it_forgets_what_a_token_of_another_account_showed(
    world, operator, operator_client, other_operator
):
    from backupsui.accounts import tokens
    from backupsui.audit.actors import Actor
    from tests.conftest import OTHER_TOKEN

    operator_client.get("/servers/")
    tokens.verify_and_save(Actor.named("olivia"), operator, OTHER_TOKEN)  # globex's
    page = text(operator_client.get("/servers/"))
    assert not {12345, 12350} & set(rows(page))
    assert operator_client.get("/servers/12350/").status_code == 404
