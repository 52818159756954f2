"""Each server's state, kept in the database: one row per server however many tokens see it,
from every fresh list and the periodic round's look at every stored token; only what changed
is written (a 200,000-server account writes nothing on a second identical fetch); servers no
token has shown for BACKUPSUI_FORGET_SERVERS_DAYS are dropped."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backupsui.alerts.models import Tally
from backupsui.backups import servers_seen
from backupsui.backups.account import account_for
from backupsui.backups.lists import BackupList, memory
from backupsui.backups.models import ServerState
from backupsui.upstream import Backup, Listing, Server
from tests.alerts.test_watch import run_round

SERVERS = 200_000  # the very large account
pytestmark = pytest.mark.django_db(transaction=True)


def an_account(servers: int, now: datetime, *, failed: int | None = None) -> BackupList:
    """One completed backup two hours old per server; `failed`: that server's is failed."""
    backups = Listing(
        Backup(
            id=i + 1,
            server=Server(id=100_000 + i, name=f"vm-{i:06d}"),
            backup_type="automatic",
            status="failed" if i == failed else "completed",
            size_mb=1024,
            created_at=now - timedelta(hours=2),
        )
        for i in range(servers)
    )
    return BackupList(backups)


def writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if "backups_serverstate" in q["sql"] and ("INSERT INTO" in q["sql"] or "UPDATE" in q["sql"])
    ]


def test_it_writes_nothing_when_200000_servers_are_seen_again_unchanged():
    now = datetime.now(UTC)
    assert servers_seen.record(an_account(SERVERS, now), now) == SERVERS
    assert ServerState.objects.count() == SERVERS
    with CaptureQueriesContext(connection) as seen:
        again = servers_seen.record(an_account(SERVERS, now), now + timedelta(minutes=5))
    assert again == 0 and writes(seen.captured_queries) == []
    with CaptureQueriesContext(connection) as seen:
        one = servers_seen.record(an_account(SERVERS, now, failed=7), now + timedelta(minutes=6))
    assert one == 1 and len(writes(seen.captured_queries)) == 1
    state = ServerState.objects.get(server_id=100_007)
    assert state.newest_status == "failed" and state.failures_7d == 1
    assert state.health == "bad" and state.last_completed_id is None


def test_it_moves_last_seen_on_hourly_and_forgets_servers_after_a_while(settings):
    settings.BACKUPSUI_FORGET_SERVERS_DAYS = 30
    now = datetime.now(UTC)
    servers_seen.record(an_account(3, now), now)
    assert servers_seen.record(an_account(3, now), now + timedelta(minutes=59)) == 0
    assert servers_seen.record(an_account(3, now), now + timedelta(minutes=61)) == 3
    seen_at = ServerState.objects.values_list("last_seen_at", flat=True).first()
    assert seen_at == now + timedelta(minutes=61)
    servers_seen.record(an_account(1, now), now + timedelta(days=20))
    assert servers_seen.forget(now + timedelta(days=31)) == 2
    assert list(ServerState.objects.values_list("server_id", flat=True)) == [100_000]


def test_it_keeps_one_row_per_server_from_the_pages_fresh_lists(sandbox, operator, support):
    account_for(operator).backups()
    memory.clear()
    with CaptureQueriesContext(connection) as seen:
        account_for(support).backups()  # the same account through another token
    assert writes(seen.captured_queries) == []
    acme = {s.id: s for s in sandbox.state.servers.values() if s.account == "acme"}
    states = {s.server_id: s for s in ServerState.objects.all()}
    assert set(states) == set(acme)
    now = datetime.now(UTC)
    for server_id, server in acme.items():
        backups = [b for b in sandbox.state.backups.values() if b.server.id == server_id]
        done = max((b for b in backups if b.status(now) == "completed"), key=lambda b: b.created_at)
        state = states[server_id]
        assert state.name == server.name
        assert state.last_completed_id == done.id and state.last_completed_at == done.created_at
        assert state.last_completed_size_mb == done.size_mb
        assert state.health == "good" and state.failures_7d == 0


def test_it_looks_at_every_stored_token_in_the_round(sandbox, operator, outsider):
    """Nobody asked for alerts: the round still keeps both accounts' servers and beats."""
    run_round()
    accounts = {s.id: s.account for s in sandbox.state.servers.values()}
    seen = set(ServerState.objects.values_list("server_id", flat=True))
    assert {accounts[i] for i in seen} == {"acme", "globex"} and seen == set(accounts)
    beat = Tally.objects.get(name=Tally.ROUND).at
    assert abs((datetime.now(UTC) - beat).total_seconds()) < 60


def test_it_keeps_a_persons_page_lists_at_most_once_a_minute_but_every_round(sandbox, operator):
    account_for(operator).backups()
    memory.clear()
    with CaptureQueriesContext(connection) as seen:
        account_for(operator).backups()  # fetched again: the states were kept seconds ago
    assert not [q for q in seen.captured_queries if "backups_serverstate" in q["sql"]]
    sandbox.state.add_backup(12345, status="failed")
    memory.clear()
    run_round()  # the round keeps what it sees, whenever a page last did
    assert ServerState.objects.get(server_id=12345).newest_status == "failed"
