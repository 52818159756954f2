"""One user's dealings with the Backups API: their token, their cached lists, their changes,
each change audited. Views call this and stay thin."""

from contextlib import contextmanager
from dataclasses import dataclass

from backupsui.accounts.crypto import TokenKeyError
from backupsui.accounts.models import ApiToken
from backupsui.accounts.tokens import mark_accepted, stored_token
from backupsui.audit.models import Action, AuditEvent
from backupsui.audit.recorder import record
from backupsui.upstream import Backup, BackupsClient, Created, Unauthorized

from . import cache


class NoToken(Exception):
    """The user has no usable API token stored."""


@dataclass
class Panel:
    user: object
    token: ApiToken
    client: BackupsClient

    def _call(self, method, *args):
        try:
            result = method(*args)
        except Unauthorized:
            cache.forget(self.user.pk)
            raise
        mark_accepted(self.token)
        return result

    def backups(self, server_id: int | None = None, backup_type: str | None = None):
        """The list for this filter, from the last few seconds or fresh from upstream."""
        entry = cache.recall(self.user.pk, server_id, backup_type)
        if entry is None:
            listed = self._call(self.client.list_backups, server_id, backup_type)
            entry = cache.remember(self.user.pk, server_id, backup_type, listed)
        return entry

    def find(self, backup_id: int, server_id: int | None = None) -> Backup | None:
        for backup in self.backups(server_id).backups:
            if backup.id == backup_id:
                return backup
        return None

    @contextmanager
    def _change(self, request, action, **facts):
        """An audited change: on record before the call; the user's cached lists dropped
        after it, whatever happened (a failed call may still have changed something)."""
        with record(request, action, **facts) as event:
            try:
                yield event
            finally:
                cache.forget(self.user.pk)

    def create(self, request, server_id: int, description: str) -> Created:
        name = cache.servers_seen(self.user.pk).get(server_id, "")
        with self._change(
            request, Action.BACKUP_CREATE, server_id=server_id, server_name=name
        ) as event:
            created = self._call(self.client.create_backup, server_id, description)
            event.backup_id = created.backup.id
            event.server_name = created.backup.server.name
            event.upstream_status = created.status
            event.message = created.message
        return created

    def delete(self, request, backup: Backup) -> None:
        with self._change(request, Action.BACKUP_DELETE, **_facts(backup)) as event:
            event.upstream_status = self._call(self.client.delete_backup, backup.id)

    def restore(self, request, backup: Backup) -> tuple[str, AuditEvent]:
        with self._change(request, Action.SERVER_RESTORE, **_facts(backup)) as event:
            restored = self._call(self.client.restore_server, backup.server.id, backup.id)
            event.upstream_status = restored.status
            event.message = restored.message
        return restored.message, event


def _facts(backup: Backup) -> dict:
    return {
        "server_id": backup.server.id,
        "server_name": backup.server.name,
        "backup_id": backup.id,
    }


def panel_for(user) -> Panel:
    token = stored_token(user)
    if token is None:
        raise NoToken
    try:
        plaintext = token.reveal()
    except TokenKeyError:
        raise NoToken from None
    return Panel(user, token, BackupsClient(plaintext))
