"""What the panel saw of each server, kept in the database (`ServerState`): from the periodic
round's look at every stored token's list and from every fresh list a page fetched. A list
seen again unchanged writes nothing: the rows are read in batches, compared, and only what
changed is written, in batches too (a 200,000-server account wrote one row per server per
page view before). `last_seen_at` moves on at most once per SEEN_GRAIN."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .models import ServerState

SEEN_GRAIN = timedelta(hours=1)
BATCH = 900  # under SQLite's oldest limit of query parameters
COMPARED = (
    "name",
    "last_completed_at",
    "last_completed_id",
    "last_completed_size_mb",
    "newest_status",
    "failures_7d",
    "health",
)


def _states(listed, now: datetime) -> dict[int, tuple]:
    """Each server's values, in COMPARED's order, from one list."""
    newest_any: dict[int, object] = {}
    for backup in listed.backups:
        held = newest_any.get(backup.server.id)
        if held is None or (backup.created_at, backup.id) > (held.created_at, held.id):
            newest_any[backup.server.id] = backup
    states = {}
    for server in listed.health(now):
        done = server.newest
        newest = newest_any.get(server.id)
        states[server.id] = (
            server.name[:255],
            done.created_at if done else None,
            done.id if done else None,
            float(done.size_mb) if done and done.size_mb is not None else None,
            (newest.status or "")[:40] if newest else "",
            server.failures,
            server.health,
        )
    return states


def record(listed, now: datetime | None = None) -> int:
    """Keeps what this list shows of its servers; returns how many rows were written."""
    now = now or timezone.now()
    states = _states(listed, now)
    ids = list(states)
    stored: dict[int, tuple] = {}
    for start in range(0, len(ids), BATCH):
        rows = ServerState.objects.filter(server_id__in=ids[start : start + BATCH])
        for pk, server_id, seen_at, *values in rows.values_list(
            "pk", "server_id", "last_seen_at", *COMPARED
        ):
            stored[server_id] = (pk, seen_at, tuple(values))
    changed, fresh = [], []
    stale = now - SEEN_GRAIN
    for server_id, values in states.items():
        found = stored.get(server_id)
        if found is None:
            fresh.append(ServerState(server_id=server_id, last_seen_at=now, **_named(values)))
        elif found[2] != values or found[1] <= stale:
            pk, seen_at, _old = found
            seen_at = now if seen_at <= stale else seen_at
            changed.append(
                ServerState(pk=pk, server_id=server_id, last_seen_at=seen_at, **_named(values))
            )
    if fresh:  # another process may make the same rows this moment: theirs stand
        ServerState.objects.bulk_create(fresh, batch_size=BATCH // 10, ignore_conflicts=True)
    if changed:
        ServerState.objects.bulk_update(
            changed, ["last_seen_at", *COMPARED], batch_size=BATCH // 10
        )
    return len(fresh) + len(changed)


def _named(values: tuple) -> dict:
    return dict(zip(COMPARED, values, strict=True))


def forget(now: datetime | None = None) -> int:
    """Drops the servers no token has shown for BACKUPSUI_FORGET_SERVERS_DAYS."""
    now = now or timezone.now()
    since = now - timedelta(days=settings.BACKUPSUI_FORGET_SERVERS_DAYS)
    dropped, _by_model = ServerState.objects.filter(last_seen_at__lt=since).delete()
    return dropped
