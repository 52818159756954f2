"""One person's dealings with the Backups API: their token, their list, their changes, each
change audited. Views call this and stay thin."""

from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings

from backupsui.accounts import tokens
from backupsui.accounts.crypto import TokenKeyError
from backupsui.accounts.models import ApiToken
from backupsui.audit.models import Action, AuditEvent
from backupsui.audit.recorder import record
from backupsui.audit.settle import settle_from_list
from backupsui.upstream import Backup, BackupsClient, Created, Unauthorized, UpstreamError

from .cache import list_cache
from .health import note_servers
from .lists import BackupList

MAX_WATCHED = 50


class NoToken(Exception):
    """The person has no usable API token stored."""


@dataclass
class PollResult:
    """What changed among the watched backups since the page was drawn."""

    changed: list[Backup]
    gone: list[int]
    watch: str
    error: str | None = None


@dataclass
class Panel:
    user: object
    token: ApiToken
    client: BackupsClient

    @property
    def key(self) -> tuple:
        """The token's row and its freshness version: what its lists are kept under."""
        return (self.token.pk, self.token.lists_version)

    @contextmanager
    def _upstream(self):
        """Around each client call: a refused token is noted, an accepted one too."""
        try:
            yield
        except Unauthorized:
            list_cache.forget(self.key)
            raise
        tokens.mark_accepted(self.token)

    def backups(self, *, stale: bool = False) -> BackupList:
        """The person's whole list: one fetched at most `BACKUPS_CACHE_SECONDS` ago, by
        whichever process fetched it (one fetch per token at a time). `stale`: a page that
        only shows the list may have one up to `BACKUPS_STALE_SECONDS` old at once (its age
        on the page) while a new one is fetched; confirmations and changes never pass it."""

        def fetch() -> BackupList:
            with self._upstream():
                listed = self.client.list_backups()
            found = BackupList(listed)
            found.known = note_servers(self.user, self.token.saved_at, found.servers())
            # What the list shows settles this person's requests nobody knew the end of.
            settle_from_list(self.user, listed, complete=not found.short)
            return found

        max_age = None if stale else settings.BACKUPS_CACHE_SECONDS
        return list_cache.get_or_fetch(self.key, fetch, max_age=max_age)

    def find(self, backup_id: int) -> Backup | None:
        return self.backups().find(backup_id)

    def poll(self, watched: dict[int, int]) -> PollResult:
        """Answers from the one list, however many backups are watched (backup id → server
        id, for backups that were in progress)."""
        try:
            listed = self.backups()
        except UpstreamError as error:
            # Keep watching what we watched; stop only when the token itself is refused.
            keep = {} if error.token_refused else watched
            return PollResult([], [], watch_param(keep), error.message)
        changed, gone, running = [], [], {}
        for backup_id, server_id in watched.items():
            backup = listed.find(backup_id)
            if backup is None or backup.server.id != server_id:
                gone.append(backup_id)
            elif backup.in_progress:
                running[backup.id] = server_id
            else:
                changed.append(backup)
        return PollResult(changed, gone, watch_param(running))

    @contextmanager
    def _change(self, request, action, claim, **facts):
        """An audited change: on record before the call, and tied at once to what asked for
        it (`claim`: a form's one-time key, a job's step); everyone's view of this person's
        list is made stale after it, whatever happened (a failed call may have changed
        something)."""
        with record(request, action, **facts) as event:
            if claim is not None:
                claim.attach(event)
            try:
                with self._upstream():
                    yield event
            finally:
                tokens.lists_changed(self.token)

    def create(self, request, server_id: int, description: str, claim=None, **facts) -> Created:
        facts.update(
            server_id=server_id,
            server_name=dict(self.known_servers()).get(server_id, ""),
            backup_type="manual",
            backup_description=description,
        )
        with self._change(request, Action.BACKUP_REQUESTED, claim, **facts) as event:
            created = self.client.create_backup(server_id, description)
            event.backup_id = created.backup.id
            event.server_name = created.backup.server.name
            event.upstream_status = created.status
            event.message = created.message
        return created

    def delete(self, request, backup: Backup, claim=None) -> AuditEvent:
        with self._change(request, Action.BACKUP_DELETED, claim, **_facts(backup)) as event:
            event.upstream_status = self.client.delete_backup(backup.id)
        return event

    def restore(self, request, backup: Backup, claim=None, **facts) -> tuple[str, AuditEvent]:
        facts.update(_facts(backup))
        with self._change(request, Action.RESTORE_REQUESTED, claim, **facts) as event:
            restored = self.client.restore_server(backup.server.id, backup.id)
            event.upstream_status = restored.status
            event.message = restored.message
        return restored.message, event

    def known_servers(self) -> list[tuple[int, str]]:
        """The servers of the remembered list, without asking the API for them."""
        found = list_cache.peek(self.key)
        return found.servers() if found is not None else []


def _facts(backup: Backup) -> dict:
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


def watch_param(watched) -> str:
    """The poller's query value: 'server:backup' pairs, from backups (those in progress) or
    from a dict of backup id → server id; empty when nothing runs."""
    if not isinstance(watched, dict):
        watched = {b.id: b.server.id for b in watched if b.in_progress}
    return ",".join(f"{server}:{backup}" for backup, server in sorted(watched.items()))


def panel_for(user) -> Panel:
    token = tokens.stored_token(user)
    if token is None:
        raise NoToken
    try:
        plaintext = token.reveal()
    except TokenKeyError:
        raise NoToken from None
    return Panel(user, token, BackupsClient(plaintext))
