"""Audit events that did not know how they ended are settled later, keeping what they first
said: interrupted pending events become unknown, and the next list settles unknown requests
and deletions (never restores)."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from backupsui.audit.actors import Actor
from backupsui.audit.models import Action, AuditEvent, Outcome
from backupsui.audit.recorder import finish, start
from backupsui.backups.lists import memory
from backupsui.upstream import BadResponse, client
from tests.helpers import completed_backup, events, text


@pytest.fixture
def answers_unreadable(monkeypatch):
    """The API carries the request out, but its answer cannot be read."""

    def unreadable(raw):
        raise BadResponse(status=201)

    monkeypatch.setattr(client, "parse_created", unreadable)


def test_it_settles_an_unknown_request_from_the_next_list(
    sandbox, operator_client, answers_unreadable
):
    response = operator_client.post("/backups/new/", {"server_id": 12346, "description": "mine"})
    assert response.status_code == 502
    [event] = events("backup_requested")
    assert event.outcome == Outcome.UNKNOWN and event.backup_id is None
    made = max(sandbox.state.backups)
    operator_client.get("/backups/")
    event.refresh_from_db()
    assert event.outcome == Outcome.ACCEPTED and event.backup_id == made
    assert event.first_outcome == Outcome.UNKNOWN and f"backup {made}" in event.settled_by
    assert event.settled_at is not None


def test_it_leaves_an_unknown_request_unknown_while_the_list_shows_nothing_of_it(
    sandbox, operator_client, answers_unreadable
):
    operator_client.post("/backups/new/", {"server_id": 12346, "description": "mine"})
    sandbox.state.delete_backup("acme", max(sandbox.state.backups))
    operator_client.get("/backups/")
    assert events("backup_requested")[0].outcome == Outcome.UNKNOWN


def test_it_settles_an_unknown_deletion_when_the_backup_is_gone(sandbox, operator, operator_client):
    backup = completed_backup(sandbox)
    event = start(Actor.of(operator), Action.BACKUP_DELETED, backup_id=backup.id, server_id=12345)
    finish(event, Outcome.UNKNOWN, message="The backups service did not answer in time.")
    operator_client.get("/backups/")
    event.refresh_from_db()
    assert event.outcome == Outcome.UNKNOWN  # still listed: it may not have happened
    sandbox.state.delete_backup("acme", backup.id)
    memory.clear()
    operator_client.get("/backups/")
    event.refresh_from_db()
    assert event.outcome == Outcome.ACCEPTED and "no longer held" in event.settled_by


def test_it_never_settles_a_restore_from_a_list(sandbox, operator, operator_client):
    event = start(Actor.of(operator), Action.RESTORE_REQUESTED, backup_id=1, server_id=12345)
    finish(event, Outcome.UNKNOWN)
    operator_client.get("/backups/")
    event.refresh_from_db()
    assert event.outcome == Outcome.UNKNOWN and not event.settled_by


def test_it_marks_an_old_pending_event_interrupted(operator, settings):
    settings.BACKUPS_API_TIMEOUT = 10
    fresh = start(Actor.of(operator), Action.BACKUP_REQUESTED, server_id=1)
    stale = start(Actor.of(operator), Action.BACKUP_REQUESTED, server_id=2)
    AuditEvent.objects.move(
        stale.pk, Outcome.PENDING, created_at=timezone.now() - timedelta(seconds=21)
    )
    out = io.StringIO()
    call_command("settle_audit", stdout=out)
    assert "Settled 1" in out.getvalue()
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert fresh.outcome == Outcome.PENDING
    assert stale.outcome == Outcome.UNKNOWN and stale.first_outcome == Outcome.PENDING
    assert "interrupted" in stale.settled_by
    # If the request's own answer still comes, it says how it really ended.
    finish(stale, Outcome.ACCEPTED, status=201)
    stale.refresh_from_db()
    assert stale.outcome == Outcome.ACCEPTED and "late" in stale.settled_by


def test_it_shows_operators_what_is_not_settled_first(operator, operator_client):
    event = start(Actor.of(operator), Action.RESTORE_REQUESTED, server_id=12345)
    finish(event, Outcome.UNKNOWN)
    page = text(operator_client.get("/audit/"))
    head = page.split('id="audit-results"')[0]
    assert "Not settled yet" in head and f"?event={event.pk}" in head
