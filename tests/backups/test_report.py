"""A report to file, from a known history: each server's completed and failed backups, the
longest time without a completed one, odd backups, restores and deletions with who; the
period's totals; the same as CSV; only for those who see everyone's audit trail."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from backupsui.audit.models import Action, Outcome
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


# Restores, once each ------------------------------------------------------------------------

R, SAFE, CANCELLED = (
    Action.RESTORE_REQUESTED,
    Action.SAFE_RESTORE_REQUESTED,
    Action.RESTORE_CANCELLED,
)


def at(hours):
    return START + timedelta(hours=hours)


def test_it_counts_a_restore_job_and_its_restore_as_one_restore_by_how_it_ended():
    events = [
        # Job 7: the safety backup, a restore call that failed and was sent again: done.
        event(SAFE, 1, "olivia", 2, job=7, at=at(1)),
        event(R, 1, "olivia", 2, outcome="failed", job=7, at=at(2)),
        event(R, 1, "olivia", 2, job=7, at=at(3)),
        # A restore without a job, refused by the API, and one that never reached it.
        event(R, 1, "sam", 2, outcome="refused", at=at(4)),
        event(R, 2, "sam", 5, outcome="failed", at=at(5)),
        # Job 8: cancelled before its restore was sent.
        event(SAFE, 2, "sam", 5, job=8, at=at(6)),
        event(CANCELLED, 2, "sam", 5, job=8, at=at(7)),
        # Job 6 was asked for before the period: its restore counts there, not here.
        event(R, 2, "olivia", 5, job=6, at=at(8)),
        event(Action.BACKUP_DELETED, 2, "sam", 9, at=at(9)),
    ]
    built = report.build([], events, START, END, jobs={7: report.DONE, 8: report.CANCELLED})
    by_id = {s.id: s for s in built.servers}
    assert [(r.actor_username, r.outcome, r.job_id) for r in by_id[1].restores] == [
        ("olivia", "done", 7),
        ("sam", "refused", None),
    ]
    assert [(r.outcome, r.job_id) for r in by_id[2].restores] == [
        ("failed", None),
        ("cancelled", 8),
    ]
    totals = built.totals
    assert totals["restores"] == 4 and totals["deletions"] == 1
    assert [totals[f"restores_{name}"] for name in ("done", "failed", "refused", "cancelled")] == [
        1,
        1,
        1,
        1,
    ]
    assert by_id[1].restores[0].get_action_display() == "Restore with a safety backup requested"
    assert by_id[1].restores[1].get_outcome_display() == "Refused"


def test_it_says_how_a_job_ended_from_its_events_when_no_one_else_can():
    events = [
        event(SAFE, 1, "olivia", 2, job=7, at=at(1)),
        event(R, 1, "olivia", 2, outcome="refused", job=7, at=at(2)),
        event(SAFE, 1, "olivia", 2, job=9, at=at(3)),  # still taking its safety backup
    ]
    restores = report.build([], events, START, END).servers[0].restores
    assert [r.outcome for r in restores] == ["refused", "running"]


@pytest.mark.django_db
def test_it_shows_each_restore_once_on_the_page_with_the_jobs_ending(
    sandbox, operator_client, operator
):
    from backupsui.audit.recorder import note
    from backupsui.jobs.models import Job

    backup = next(b for b in sandbox.state.backups.values() if b.server.id == 12345)
    done = Job.objects.create(
        user=operator, server_id=12345, backup_id=backup.id, state=Job.State.DONE
    )
    failed = Job.objects.create(
        user=operator, server_id=12345, backup_id=backup.id, state=Job.State.FAILED
    )
    facts = {"server_id": 12345, "server_name": "web-server-01", "backup_id": backup.id}
    note(None, SAFE, actor_username="olivia", job_id=done.pk, **facts)
    sent = note(None, R, actor_username="olivia", job_id=done.pk, **facts)
    Job.objects.filter(pk=done.pk).update(restore_event=sent)
    note(None, SAFE, actor_username="olivia", job_id=failed.pk, **facts)
    refused = note(None, R, Outcome.REFUSED, actor_username="olivia", job_id=failed.pk, **facts)
    Job.objects.filter(pk=failed.pk).update(restore_event=refused)
    page = text(operator_client.get("/reports/"))
    totals = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", page))
    assert {k: v for k, v in totals.items() if k.startswith("Restores")} == {
        "Restores done": "1",
        "Restores failed": "0",
        "Restores refused": "1",
        "Restores cancelled": "0",
    }
    row = re.search(r'<tr id="report-12345">(.*?)</tr>', page, re.S).group(1)
    assert row.count("Restore with a safety backup requested") == 2
    assert f'href="/jobs/{done.pk}/"' in row and "· Done</div>" in row
    assert "· Refused</div>" in row and "Restore requested" not in row


# The period -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_shows_the_period_asked_for_with_both_days_included(sandbox, operator_client):
    page = text(operator_client.get("/reports/", {"since": "2026-11-23", "until": "2026-12-07"}))
    assert '<span class="muted">2026-11-23 – 2026-12-07</span>' in page
    assert 'value="2026-11-23"' in page and 'value="2026-12-07"' in page


@pytest.mark.django_db
def test_it_fills_the_fields_with_the_default_period(sandbox, operator_client):
    from django.utils import timezone

    today = timezone.localdate()
    first = today - timedelta(days=6)
    page = text(operator_client.get("/reports/"))
    assert f'name="since" value="{first:%Y-%m-%d}"' in page
    assert f'name="until" value="{today:%Y-%m-%d}"' in page
    assert f'<span class="muted">{first:%Y-%m-%d} – {today:%Y-%m-%d}</span>' in page
    only_until = text(operator_client.get("/reports/", {"until": "2026-12-07"}))
    assert 'name="since" value="2026-12-01"' in only_until
