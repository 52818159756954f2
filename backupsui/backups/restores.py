"""One restore of a server at a time. A restore, or a restore job, of a server that has a
restore job open, or that was restored in the last BACKUPSUI_RESTORE_QUIET_MINUTES, is
refused unless the person says "restore anyway" (and the audit trail says they did), or
unless it undoes that very restore: a restore from the safety backup of a finished restore job,
when nobody restored the server since, is never held up by the job's own quiet time.

Whoever starts one claims the server first: a transaction holding the server's RestoreLock
row, inside which the caller writes what marks its restore (the audit event, the job). Of two
people, processes or replicas starting one at the same moment, the second waits for the
first's transaction and then sees its restore: SQLite takes its write lock at the start of
every transaction, PostgreSQL locks the row. What counts as under way is read from the
database: the open jobs (the jobs app tells, through `holds`) and the restores sent lately
according to the audit trail."""

from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from backupsui.accounts.models import ApiToken
from backupsui.audit.models import Action, AuditEvent, Outcome
from backupsui.compiled import Compiled

from .models import RestoreLock, SeenServer

# Restores that may have reached the API: anything but refused or failed.
SENT = (Outcome.PENDING, Outcome.ACCEPTED, Outcome.UNKNOWN)
LOOKED_AT = 1000  # open jobs and recent restores read at most (there are a handful)


@dataclass(frozen=True)
class Holder:
    """A restore of a server under way: a job open, or a restore sent a moment ago."""

    server_id: int
    server_name: str
    username: str
    started_at: datetime
    job_id: int | None = None
    user_id: int | None = None
    # A restore sent (the audit trail says so), rather than a job still open.
    sent: bool = False
    # The backup the restore was sent from, when it was sent.
    backup_id: int | None = None
    # The restore being started undoes this one: it restores the job's safety backup.
    undone: bool = False

    def anyway_note(self) -> str:
        """What the audit trail says of a restore sent over this one (English: data)."""
        when = self.started_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        if self.undone:
            return (
                f"Undoes job {self.job_id} of this server, started by {self.username} at "
                f"{when}: restored from the safety backup it took."
            )
        what = f"job {self.job_id}" if self.job_id else "a restore"
        return f"Sent anyway, over {what} of this server started by {self.username} at {when}."


class RestoreBusy(Exception):
    """Another restore of the server is under way; nothing was sent."""

    def __init__(self, holder: Holder):
        super().__init__(f"server {holder.server_id} is being restored")
        self.holder = holder


_providers: list[Callable[[], Iterable[Holder]]] = []


def holds(provider: Callable[[], Iterable[Holder]]):
    """Registers what else holds servers (the jobs app: its open jobs), oldest first."""
    _providers.append(provider)
    return provider


def quiet() -> timedelta:
    return timedelta(minutes=settings.BACKUPSUI_RESTORE_QUIET_MINUTES)


def running(server_ids: Iterable[int] | None = None) -> dict[int, Holder]:
    """Server id → the restore under way on it: an open job first, else the latest restore
    sent within the quiet time."""
    wanted = None if server_ids is None else set(server_ids)
    found: dict[int, Holder] = {}
    for provider in _providers:
        for holder in provider():
            if wanted is None or holder.server_id in wanted:
                found.setdefault(holder.server_id, holder)
    for server_id, name, username, user_id, when, job_id, backup_id in _sent.rows(
        timezone.now() - quiet()
    ):
        if wanted is None or server_id in wanted:
            found.setdefault(
                server_id,
                Holder(server_id, name, username, when, job_id, user_id, True, backup_id),
            )
    return found


# Asked on every list and servers page: compiled once (backupsui.compiled).
_sent = Compiled(
    lambda since: (
        AuditEvent.objects.filter(
            action=Action.RESTORE_REQUESTED,
            created_at__gte=since,
            outcome__in=SENT,
            server_id__isnull=False,
        )
        .order_by("-created_at")
        .values_list(
            "server_id",
            "server_name",
            "actor_username",
            "actor_id",
            "created_at",
            "job_id",
            "backup_id",
        )[:LOOKED_AT]
    )
)


def holder_of(server_id: int) -> Holder | None:
    return running([server_id]).get(server_id)


def undone_by(holder: Holder | None, backup_id: int) -> Holder | None:
    """The restore under way that a restore from `backup_id` undoes, marked so: the latest
    restore of the server was sent by a restore job that has finished, and `backup_id` is
    the safety backup that job took just before it. None otherwise (another restore since,
    a job still open, another backup)."""
    if holder is None or not holder.sent or holder.job_id is None:
        return None
    took = AuditEvent.objects.filter(
        job_id=holder.job_id,
        action=Action.BACKUP_REQUESTED,
        backup_id=backup_id,
        server_id=holder.server_id,
    )
    return replace(holder, undone=True) if took.exists() else None


def undoing(server_id: int, backup_id: int) -> Holder | None:
    """The finished restore job a restore of the server from this backup undoes, if any."""
    return undone_by(holder_of(server_id), backup_id)


def _lock_row(server_id: int) -> None:
    if RestoreLock.objects.filter(server_id=server_id).exists():
        return
    try:
        with transaction.atomic():
            RestoreLock.objects.create(server_id=server_id)
    except IntegrityError:
        pass  # another process made it a moment ago


@contextmanager
def claim(server_id: int, anyway: bool = False, backup_id: int | None = None):
    """The server, claimed for a restore (from `backup_id`) until the block ends (one
    transaction): write what marks the restore inside it. Raises RestoreBusy when one is
    under way, unless `anyway` or the restore undoes it (undone_by); yields the restore it
    goes over (None when the server was free)."""
    _lock_row(server_id)
    with transaction.atomic():
        # The UPDATE's row lock (PostgreSQL) or the write lock taken at BEGIN (SQLite) orders
        # the claims; what is read after it sees every earlier claim's restore.
        RestoreLock.objects.filter(server_id=server_id).update(claimed_at=timezone.now())
        holder = holder_of(server_id)
        undone = undone_by(holder, backup_id) if backup_id is not None else None
        if undone is not None:
            holder = undone
        elif holder is not None and not anyway:
            raise RestoreBusy(holder)
        yield holder


def seen_servers(user):
    """The ids of the servers the person's current token has shown them (their account's)."""
    token = ApiToken.objects.filter(user=user).only("saved_at").first()
    if token is None:
        return SeenServer.objects.none().values_list("server_id", flat=True)
    seen = SeenServer.objects.filter(user=user, token_saved_at=token.saved_at)
    return seen.values_list("server_id", flat=True)


def sees_server(user, server_id: int) -> bool:
    """Whether the person's current token has shown them this server (same account)."""
    return seen_servers(user).filter(server_id=server_id).exists()
