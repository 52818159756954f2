"""The changes the panel makes upstream, each named for what it does: request a backup,
delete a backup, restore a server. Each takes the account whose token acts, an explicit actor
(a person through a request, a job, later a plan), and optionally an idempotency key (a
form's one-time key, a job's step) that the audit event is tied to as soon as it is written.
The event is on record before the call; everyone's cached list of the account is stale after
it, whatever happened (a failed call may have changed something)."""

from contextlib import contextmanager, nullcontext
from typing import Protocol

from backupsui.accounts import tokens
from backupsui.audit.actors import Actor
from backupsui.audit.models import Action, AuditEvent
from backupsui.audit.recorder import carry, start
from backupsui.upstream import Backup, Created

from . import restores
from .account import Account


class IdempotencyKey(Protocol):
    """What a change is done once for: it learns the change's audit event at once."""

    def attach(self, event: AuditEvent) -> None: ...


@contextmanager
def _change(
    account: Account, actor: Actor, action, key: IdempotencyKey | None, guard=None, **facts
):
    """`guard` (a claim on the server) holds while the event is written, not during the call."""
    with guard or nullcontext() as overridden:
        event = start(actor, action, **facts)
    said = overridden.anyway_note() if overridden is not None else ""
    with carry(event, said):
        if key is not None:
            key.attach(event)
        try:
            with account.calling():
                yield event
        finally:
            tokens.lists_changed(account.token)


def request_backup(
    account: Account, actor: Actor, server_id: int, description: str, key=None
) -> Created:
    facts = {
        "server_id": server_id,
        "server_name": dict(account.known_servers()).get(server_id, ""),
        "backup_type": "manual",
        "backup_description": description,
    }
    with _change(account, actor, Action.BACKUP_REQUESTED, key, **facts) as event:
        created = account.client.create_backup(server_id, description)
        event.backup_id = created.backup.id
        event.server_name = created.backup.server.name
        event.upstream_status = created.status
        event.message = created.message
    return created


def delete_backup(
    account: Account, actor: Actor, backup: Backup, key=None, why: str = ""
) -> AuditEvent:
    """`why` is on record before the call (a plan's: "not kept: beyond keep-daily 7")."""
    facts = {**as_shown(backup), "message": why}
    with _change(account, actor, Action.BACKUP_DELETED, key, **facts) as event:
        event.upstream_status = account.client.delete_backup(backup.id)
    return event


def restore_server(
    account: Account, actor: Actor, backup: Backup, key=None, anyway: bool = False
) -> AuditEvent:
    """Restores the backup's server from it; the event carries the API's message. Raises
    RestoreBusy while another restore of the server is under way, unless `anyway` or this
    restore undoes it (restores.undone_by); a job's own restore step goes ahead (the job
    claimed the server when it was started)."""
    guard = None if actor.job_id else restores.claim(backup.server.id, anyway, backup.id)
    facts = as_shown(backup)
    with _change(account, actor, Action.RESTORE_REQUESTED, key, guard, **facts) as event:
        restored = account.client.restore_server(backup.server.id, backup.id)
        event.upstream_status = restored.status
        event.message = restored.message
    return event


def as_shown(backup: Backup) -> dict:
    """The backup as the person was shown it, for the audit trail."""
    return {
        "server_id": backup.server.id,
        "server_name": backup.server.name,
        "backup_id": backup.id,
        "backup_created_at": backup.created_at,
        "backup_type": backup.backup_type,
        "backup_size_mb": backup.size_mb,
        "backup_status": backup.status,
        "backup_description": backup.description,
    }
