"""What the panel saw of each server, kept in the database (`ServerState`): from the periodic
round's look at every stored token's list and from every fresh list a page fetched. A list
seen again unchanged writes nothing: the rows are read in batches, compared, and only what
changed is written, in batches too (a 200,000-server account wrote one row per server per
page view before). `last_seen_at` moves on at most once per SEEN_GRAIN."""

import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
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


def fingerprint(values: tuple) -> int:
    """The compared values in one signed 64-bit number: one column to read back."""
    digest = hashlib.blake2b(repr(values).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def record(listed, now: datetime | None = None) -> int:
    """Keeps what this list shows of its servers; returns how many rows were written."""
    now = now or timezone.now()
    states = _states(listed, now)
    ids = list(states)
    stored: dict[int, tuple] = {}
    for start in range(0, len(ids), BATCH):
        rows = ServerState.objects.filter(server_id__in=ids[start : start + BATCH])
        for pk, server_id, seen_at, known in rows.values_list(
            "pk", "server_id", "last_seen_at", "fingerprint"
        ):
            stored[server_id] = (pk, seen_at, known)
    fresh, changed = [], []
    stale = now - SEEN_GRAIN
    for server_id, values in states.items():
        mark = fingerprint(values)
        found = stored.get(server_id)
        if found is None:
            fresh.append((server_id, now, *values, mark))
        elif found[2] != mark or found[1] <= stale:
            pk, seen_at, _old = found
            changed.append((now if seen_at <= stale else seen_at, *values, mark, pk))
    _write(fresh, changed)
    return len(fresh) + len(changed)


def _write(fresh: list[tuple], changed: list[tuple]) -> None:
    """Many rows in one prepared statement each way (Django's bulk_create and bulk_update
    build one long statement per batch: ten times slower at 200,000 rows). A row another
    process made this very moment stands."""
    if not fresh and not changed:
        return
    table = connection.ops.quote_name(ServerState._meta.db_table)
    columns = ["last_seen_at", *COMPARED, "fingerprint"]
    adapt = connection.ops.adapt_datetimefield_value
    timed = {0, 2}  # last_seen_at, last_completed_at: after the leading column of each row

    def adapted(row: tuple, lead: int) -> list:
        return [adapt(v) if i - lead in timed else v for i, v in enumerate(row)]

    with transaction.atomic(), connection.cursor() as cursor:
        if fresh:
            names = ", ".join(["server_id", *columns, "muted_until"])
            marks = ", ".join(["%s"] * (len(columns) + 2))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks}) "  # noqa: S608 - our names
                "ON CONFLICT (server_id) DO NOTHING",
                [[*adapted(row, 1), None] for row in fresh],
            )
        if changed:
            sets = ", ".join(f"{name} = %s" for name in columns)
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE id = %s",  # noqa: S608 - our names
                [adapted(row, 0) for row in changed],
            )


def forget(now: datetime | None = None) -> int:
    """Drops the servers no token has shown for BACKUPSUI_FORGET_SERVERS_DAYS."""
    now = now or timezone.now()
    since = now - timedelta(days=settings.BACKUPSUI_FORGET_SERVERS_DAYS)
    dropped, _by_model = ServerState.objects.filter(last_seen_at__lt=since).delete()
    return dropped
