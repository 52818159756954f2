"""What the panel saw of each server, kept in the database (`ServerState`): from the periodic
round's look at every stored token's list and from every fresh list a page fetched. A list
seen again unchanged writes nothing: the rows are read in batches, compared, and only what
changed is written, in batches too (a 200,000-server account wrote one row per server per
page view before). `last_seen_at` moves on at most once per SEEN_GRAIN."""

import hashlib
import threading
import time
import weakref
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import ServerState

SEEN_GRAIN = timedelta(hours=1)
# A page's fresh list is kept at most this often per person and process: working the states
# out costs about as much as decoding the list (a second at 100,000 backups), and the round
# keeps every token's anyway.
PAGE_EVERY = 60.0
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


_lock = threading.Lock()
_kept_at: dict[int, float] = {}  # user id → when this process last kept a page's list
_kept_lists: "weakref.WeakSet" = weakref.WeakSet()  # lists already kept, while they live


def record_for_page(user_id: int, listed) -> int:
    """A page's fresh list, kept unless this process kept this person's within PAGE_EVERY."""
    moment = time.monotonic()
    with _lock:
        if moment - _kept_at.get(user_id, float("-inf")) < PAGE_EVERY:
            return 0
        _kept_at[user_id] = moment
        if len(_kept_at) > 10_000:  # bounded: the oldest half goes
            for stale in sorted(_kept_at, key=_kept_at.get)[:5_000]:
                del _kept_at[stale]
    written = record(listed)
    _kept_lists.add(listed)
    return written


def record_for_round(listed) -> int:
    """The round's look at a token's list: kept, unless this very list was kept when it
    was fetched."""
    if listed in _kept_lists:
        return 0
    written = record(listed)
    _kept_lists.add(listed)
    return written


def forget_pages() -> None:
    """This process's memory of pages' lists kept (tests, and a token changed)."""
    with _lock:
        _kept_at.clear()


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
