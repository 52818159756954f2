"""A report to file, from a known history: each server's completed and failed backups, the
longest time without a completed one, odd backups, restores and deletions with who; the
period's totals; the same as CSV; only for those who see everyone's audit trail."""

import csv
import io
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from backupsui.audit.models import Action
from backupsui.backups import report
from backupsui.upstream import Backup, Server
from tests.helpers import FormClient, body_of, text

WEB, DB = Server(id=1, name="web"), Server(id=2, name="db")
START = datetime(2026, 6, 1, tzinfo=UTC)
END = START + timedelta(days=7)


def made(n, server, hours, status="completed", size=100):
    return Backup(
        id=n,
        server=server,
        backup_type="automatic",
        status=status,
        size_mb=size,
        created_at=START + timedelta(hours=hours),
    )


def event(action, server_id, who, backup_id, name="", outcome="accepted", job=None, at=START):
    return SimpleNamespace(
        action=action,
        server_id=server_id,
        server_name=name,
        actor_username=who,
        backup_id=backup_id,
        outcome=outcome,
        created_at=at,
        job_id=job,
    )


def test_it_counts_each_servers_backups_and_gaps_within_the_period():
    backups = [
        made(1, WEB, -30),  # before the period: not counted, but part of the usual size
        made(2, WEB, 24),
        made(3, WEB, 48, status="failed", size=None),
        made(4, WEB, 120),
        made(5, DB, 10, status="failed", size=None),
        made(6, DB, 24 * 8),  # after the period
    ]
    events = [
        event(Action.RESTORE_REQUESTED, 1, "olivia", 2),
        event(Action.BACKUP_DELETED, 1, "sam", 1),
        event(Action.RESTORE_REQUESTED, 9, "olivia", 77, name="gone-server"),
    ]
    built = report.build(backups, events, START, END)
    by_id = {s.id: s for s in built.servers}
    assert (by_id[1].completed, by_id[1].failed) == (2, 1)
    assert by_id[1].longest_gap == timedelta(hours=96)  # from 24 h to 120 h
    assert (by_id[2].completed, by_id[2].failed) == (0, 1)
    assert by_id[2].longest_gap == timedelta(days=7)
    assert [e.actor_username for e in by_id[1].restores] == ["olivia"]
    assert [e.actor_username for e in by_id[1].deletions] == ["sam"]
    assert by_id[9].name == "gone-server" and len(by_id[9].restores) == 1
    assert built.totals == {
        "servers": 3,
        "completed": 2,
        "failed": 2,
        "odd": 0,
        "restores": 2,
        "restores_done": 2,
        "restores_failed": 0,
        "restores_refused": 0,
        "restores_cancelled": 0,
        "restores_running": 0,
        "restores_unknown": 0,
        "deletions": 1,
        "never_completed": 2,
    }


def test_it_counts_odd_backups_taken_within_the_period():
    backups = [made(n, WEB, -24 * n, size=100) for n in range(1, 8)] + [made(9, WEB, 30, size=40)]
    built = report.build(backups, [], START, END)
    assert built.servers[0].odd == 1


def test_it_shows_and_exports_the_report_to_auditors_and_operators(
    sandbox, operator_client, support
):
    page = operator_client.get("/reports/")
    assert page.status_code == 200
    body = text(page)
    assert "The period in all" in body and "web-server-01" in body
    rows = list(csv.DictReader(io.StringIO(body_of(operator_client.get("/reports/export.csv")))))
    assert {row["server"] for row in rows} >= {"web-server-01", "db-server-02"}
    assert all(int(row["completed"]) >= 0 for row in rows)
    as_support = FormClient()
    as_support.force_login(support)
    assert as_support.get("/reports/").status_code == 403
    refused = operator_client.get("/reports/", {"since": "2026-02-01", "until": "2026-01-01"})
    assert refused.status_code == 200 and "ends before it begins" in text(refused)
