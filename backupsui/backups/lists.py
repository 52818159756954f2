"""A person's list of backups as the API gave it, and this worker's memory of such lists.

The panel asks the API for the whole list (every server, every type) and filters, sorts and
pages on its side: one list serves the list page, the live status, the confirmations and the
servers page. A list is remembered under the person's token row and its freshness version
(kept in the database and changed by every change anyone makes through the panel, in any
process), so a change is seen on the very next request everywhere, and within a byte budget
(`BACKUPS_CACHE_MB`), least recently used first out. How old a remembered list may be is
decided in cache.py (fresh for `BACKUPS_CACHE_SECONDS`, shown while a new one is fetched up to
`BACKUPS_STALE_SECONDS`). Losing this memory is always correct: it is only a speed-up.
"""

import threading
import time
from collections import OrderedDict
from operator import attrgetter

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from backupsui.upstream import Backup, Listing

from . import plan_facts
from .health import assess, due_of
from .story import USUAL_OF, judge

KNOWN_STATUSES = frozenset({"in_progress", "completed", "failed"})
# What one decoded backup costs in memory (tracemalloc's figure, before its texts), plus a
# pointer in each of the six orders a list may be sorted in.
BYTES_PER_BACKUP = 480 + 6 * 8

# Each order is a few stable sorts, least significant key first, on keys that allocate
# nothing: cheaper than one sort on tuples, which the garbage collector must walk.
_ID = attrgetter("id")
_CREATED = attrgetter("created_at")


def _size(backup: Backup) -> int:
    return -1 if backup.size_mb is None else backup.size_mb


def _size_unknown_last(backup: Backup) -> float:
    return float("inf") if backup.size_mb is None else backup.size_mb


def _server_id(backup: Backup) -> int:
    return backup.server.id


def _server_name(backup: Backup) -> str:
    return backup.server.name.casefold()


SORTS = {
    "-created": (_("Newest first"), [(_ID, True), (_CREATED, True)]),
    "created": (_("Oldest first"), [(_ID, False), (_CREATED, False)]),
    "-size": (_("Largest first"), [(_ID, True), (_size, True)]),
    "size": (_("Smallest first"), [(_ID, False), (_size_unknown_last, False)]),
    "server": (_("Server A–Z"), [(_CREATED, True), (_server_id, False), (_server_name, False)]),
    "-server": (_("Server Z–A"), [(_CREATED, True), (_server_id, True), (_server_name, True)]),
}
DEFAULT_SORT = "-created"


class BackupList:
    """One fetched list, with what is worked out from it once and kept beside it. `fetched`
    is when it was fetched (wall clock, seconds since the epoch: processes compare it); what
    is set at fetch time (`known`) is set before the list is shared, and never after."""

    def __init__(self, backups: Listing, fetched: float | None = None, size: int | None = None):
        self.backups = backups
        self.counted = getattr(backups, "counted", None)
        self.fetched = time.time() if fetched is None else fetched
        self._orders: dict[str, list[Backup]] = {}
        self._statuses: list[str] | None = None
        self._servers: list[tuple[int, str]] | None = None
        self._all_servers: list[tuple[int, str]] | None = None
        self._by_id: dict[int, Backup] | None = None
        self._health: list | None = None
        self._covering: dict = {}
        # (server, type) → its completed backups, in the list's order; then, for the groups a
        # page asked about, their sizes oldest first and each backup's place among them.
        self._completed: dict[tuple, list[Backup]] | None = None
        self._sizes: dict[tuple, list] = {}
        self._place: dict[int, int] = {}
        # Every server seen under the person's token, this list's included (see health.py).
        self.known: dict[int, str] = {}
        # Its bytes in memory, estimated (a shared list brings the figure worked out at fetch).
        self.size = estimated_size(backups) if size is None else size

    def age(self) -> float:
        """Seconds since it was fetched."""
        return max(0.0, time.time() - self.fetched)

    @property
    def short(self) -> bool:
        """The API counted more backups than it sent (and gave no further page)."""
        return self.counted is not None and self.counted > len(self.backups)

    def ordered(self, sort: str) -> list[Backup]:
        if sort not in SORTS:
            sort = DEFAULT_SORT
        found = self._orders.get(sort)
        if found is None:
            found = list(self.backups)
            for key, reverse in SORTS[sort][1]:
                found.sort(key=key, reverse=reverse)
            self._orders[sort] = found
        return found

    def select(
        self,
        *,
        server_id: int | None = None,
        backup_type: str | None = None,
        status: str = "",
        q: str = "",
        sort: str = DEFAULT_SORT,
        since=None,
    ) -> list[Backup]:
        backups = self.ordered(sort)
        if since is not None:
            backups = [b for b in backups if b.created_at >= since]
        if server_id is not None:
            backups = [b for b in backups if b.server.id == server_id]
        if backup_type:
            backups = [b for b in backups if b.backup_type == backup_type]
        if status:
            backups = [b for b in backups if b.status == status]
        if q:
            needle = q.casefold()
            backups = [
                b
                for b in backups
                if needle in b.description.casefold() or needle in b.server.name.casefold()
            ]
        return backups

    def statuses(self) -> list[str]:
        """The statuses to filter by: the usual three and any other the list holds."""
        if self._statuses is None:
            self._statuses = sorted(KNOWN_STATUSES | {b.status for b in self.backups if b.status})
        return self._statuses

    def servers(self) -> list[tuple[int, str]]:
        """The servers in the list as (id, name), in name order: the server pickers."""
        if self._servers is None:
            names = {b.server.id: b.server.name for b in self.backups}
            self._servers = sorted(names.items(), key=lambda item: (item[1].casefold(), item[0]))
        return self._servers

    def all_servers(self) -> list[tuple[int, str]]:
        """The servers to choose from (id, name), in name order: those in the list and those
        the account's tokens showed before (`known`: servers whose backups are all gone
        keep their place in every picker)."""
        if self._all_servers is None:
            names = dict(self.known)
            names.update(self.servers())
            self._all_servers = sorted(
                names.items(), key=lambda item: (item[1].casefold(), item[0])
            )
        return self._all_servers

    def health(self, now) -> list:
        """Every server's backup health, worst first, worked out once per list (a list
        lives a few seconds: the ages it gives are that fresh). A server a plan covers is
        judged by the plan's schedule (health.py)."""
        if self._health is None:
            names = dict(self.known)
            names.update(self.servers())
            self._covering = plan_facts.covering(names)
            self._health = assess(self.backups, self.known, now, due_of(self._covering))
        return self._health

    def covering(self, now) -> dict:
        """Server id → the plans covering it (plan_facts.Cover, shortest period first, with
        their next runs), asked once per list with its health."""
        self.health(now)
        return self._covering

    def odd_among(self, shown) -> dict:
        """Backup id → why it is odd (story.Odd), for the backups shown: each is judged
        against the backups of its server and type before it. The list is grouped by server
        and type once (one pass, no sort); a group is put in order only when a page shows one
        of its backups; each shown backup then costs a median of ten."""
        found = {}
        for backup in shown:
            if backup.status != "completed" or backup.size_mb is None:
                continue
            group = (backup.server.id, backup.backup_type)
            sizes = self._sizes.get(group)
            if sizes is None:
                sizes = self._sizes[group] = self._sizes_of(group)
            place = self._place.get(backup.id)
            if place is None:
                continue
            odd = judge(backup, sizes[max(0, place - USUAL_OF) : place])
            if odd is not None:
                found[backup.id] = odd
        return found

    def _sizes_of(self, group: tuple) -> list:
        """The completed sizes of one server and type, oldest first (ties by id, as the
        "created" order has them), each backup's place among them noted."""
        if self._completed is None:
            completed: dict[tuple, list[Backup]] = {}
            for backup in self.backups:
                if backup.status == "completed" and backup.size_mb is not None:
                    key = (backup.server.id, backup.backup_type)
                    theirs = completed.get(key)
                    if theirs is None:
                        completed[key] = [backup]
                    else:
                        theirs.append(backup)
            self._completed = completed
        theirs = sorted(self._completed.get(group, ()), key=_ID)
        theirs.sort(key=_CREATED)
        for place, backup in enumerate(theirs):
            self._place[backup.id] = place
        return [backup.size_mb for backup in theirs]

    def find(self, backup_id: int) -> Backup | None:
        if self._by_id is None:
            self._by_id = {b.id: b for b in self.backups}
        return self._by_id.get(backup_id)


# Backups whose texts are measured to estimate a list's size: a fetched list is not walked
# whole for it (its texts vary little from backup to backup).
SIZE_SAMPLE = 512


def estimated_size(backups) -> int:
    """Bytes a decoded list takes: a backup's own, and its texts', from up to SIZE_SAMPLE
    backups spread across the list (all of a smaller list)."""
    count = len(backups)
    if count == 0:
        return 0
    sample = backups[:: max(1, count // SIZE_SAMPLE)]
    texts = sum(len(b.description) + len(b.server.name) for b in sample)
    return count * BYTES_PER_BACKUP + texts * count // len(sample)


def kept_seconds() -> float:
    """How long a list may be kept at all: until it may no longer be shown while a new one is
    fetched (`BACKUPS_STALE_SECONDS`), or, without that, while it is fresh."""
    fresh = settings.BACKUPS_CACHE_SECONDS
    if fresh <= 0:
        return 0.0
    return max(fresh, settings.BACKUPS_STALE_SECONDS)


class Memory:
    """This worker's remembered lists, decoded: kept `kept_seconds()`, within a byte budget.
    Keys are (token row id, freshness version)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._lists: OrderedDict[tuple, BackupList] = OrderedDict()
        self._bytes = 0

    def recall(self, key: tuple) -> BackupList | None:
        """The list kept under `key`, whatever its age within `kept_seconds()`."""
        with self._lock:
            found = self._lists.get(key)
            if found is None:
                return None
            if found.age() >= kept_seconds():
                self._drop(key)
                return None
            self._lists.move_to_end(key)
            return found

    def keep(self, key: tuple, made: BackupList) -> BackupList:
        """Keeps the list if it fits the budget (the token's lists of other versions are
        dropped) and returns it; a newer one already kept under `key` wins."""
        budget = settings.BACKUPS_CACHE_MB * 2**20
        with self._lock:
            held = self._lists.get(key)
            if held is not None and held.fetched >= made.fetched:
                return held
            for other in [k for k in self._lists if k[0] == key[0]]:
                self._drop(other)
            if made.size > budget or kept_seconds() <= 0:
                return made  # used for this request, not kept
            while self._lists and self._bytes + made.size > budget:
                self._drop(next(iter(self._lists)))
            self._lists[key] = made
            self._bytes += made.size
        return made

    def forget(self, token_id: int) -> None:
        with self._lock:
            for key in [k for k in self._lists if k[0] == token_id]:
                self._drop(key)

    def _drop(self, key: tuple) -> None:
        self._bytes -= self._lists.pop(key).size

    def held_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._lists.clear()
            self._bytes = 0


memory = Memory()
