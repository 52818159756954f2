"""A short per-user, per-filter memory of upstream lists, so paging and polling within a few
seconds do not ask the upstream again. Keyed by user id and filter, never by token; a user's
own change drops their entries at once. Each process keeps its own (a worker's memory).
"""

import threading
import time
from dataclasses import dataclass, field

from django.conf import settings

from backupsui.upstream import Backup

MAX_USERS = 500


@dataclass
class Entry:
    backups: list[Backup]
    fetched: float
    sorted_views: dict = field(default_factory=dict)
    statuses: list[str] | None = None


_lock = threading.Lock()
_entries: dict[int, dict[tuple, Entry]] = {}
_servers_seen: dict[int, dict[int, str]] = {}


def _fresh(entry: Entry) -> bool:
    return time.monotonic() - entry.fetched < settings.BACKUPS_CACHE_SECONDS


def recall(user_id: int, server_id: int | None, backup_type: str | None) -> Entry | None:
    with _lock:
        entry = _entries.get(user_id, {}).get((server_id, backup_type))
    return entry if entry is not None and _fresh(entry) else None


def remember(user_id: int, server_id, backup_type, backups: list[Backup]) -> Entry:
    entry = Entry(backups, time.monotonic())
    with _lock:
        if user_id not in _entries and len(_entries) >= MAX_USERS:
            _entries.pop(next(iter(_entries)))
        _entries.setdefault(user_id, {})[(server_id, backup_type)] = entry
        seen = {backup.server.id: backup.server.name for backup in backups}
        _servers_seen.setdefault(user_id, {}).update(seen)
    return entry


def forget(user_id: int, *, servers: bool = False) -> None:
    """Drops the user's lists (after their own change); with servers, what they have seen too
    (after their token changed: it may be another account)."""
    with _lock:
        _entries.pop(user_id, None)
        if servers:
            _servers_seen.pop(user_id, None)


def servers_seen(user_id: int) -> dict[int, str]:
    with _lock:
        return dict(_servers_seen.get(user_id, {}))


def servers_by_name(user_id: int) -> list[tuple[int, str]]:
    """The servers the user has seen, as (id, name), in name order: the server pickers."""
    return sorted(servers_seen(user_id).items(), key=lambda item: item[1].casefold())


def clear() -> None:
    with _lock:
        _entries.clear()
        _servers_seen.clear()
