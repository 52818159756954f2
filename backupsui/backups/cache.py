"""Fetched lists for every thread, process and replica, and one fetch per token at a time.

Three layers, nearest first:
1. this process's decoded copies (`Memory`, within `BACKUPS_CACHE_MB`);
2. with `BACKUPSUI_CACHE_URL`, Redis (Django's `RedisCache`, the `lists` cache): each list
   encoded once with msgspec's msgpack and compressed, under the token row's id and its
   freshness version (never the token), beside a stamp of when it was fetched: a process
   reads the stamp (a few bytes) and fetches and decodes the list only when it is newer than
   its own copy;
3. the API, asked by one fetch per token at a time: the threads of a process share one
   fetch; across processes a lock in Redis (the others wait for the list it leaves there,
   watching its stamp), else a PostgreSQL advisory lock (the processes take turns), else none
   (fetch_locks.py).

A list younger than `BACKUPS_CACHE_SECONDS` is used as it is. One younger than
`BACKUPS_STALE_SECONDS` is shown at once, when the caller allows it (`max_age=None`), while a
thread of this process fetches a new one behind it (or, when another process holds the
token's lock, leaves the fetch to it: the next page finds its list); confirmations and
changes ask for `max_age=BACKUPS_CACHE_SECONDS` and wait for a fresh list instead. A shared
list is never changed after it is shared: whatever is worked out at fetch time is set before
(see `fetch`).

Redis is only a speed-up: when it does not answer, each process fetches for itself.
"""

import logging
import math
import threading
import time
import zlib
from collections.abc import Callable
from contextlib import contextmanager

import msgspec
from django.conf import settings
from django.core.cache import caches
from django.db import connection, connections

from backupsui.upstream import Backup, Listing, Unavailable, UpstreamError
from backupsui.upstream.calls import cause_of

from .fetch_locks import SharedLock, advisory_lock
from .lists import BackupList, Memory, kept_seconds, memory

logger = logging.getLogger(__name__)

# How long a fetch may hold the lock beyond the API's own time limit (the step after it).
LOCK_MARGIN_SECONDS = 10


class _Shared(msgspec.Struct, array_like=True, gc=False):
    """A list as Redis holds it (its size in memory too: worked out once, at fetch time)."""

    fetched: float
    counted: int | None
    known: dict[int, str]
    size: int
    backups: list[Backup]


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(_Shared)


def encode(made: BackupList) -> bytes:
    shared = _Shared(made.fetched, made.counted, made.known, made.size, list(made.backups))
    return zlib.compress(_encoder.encode(shared), 1)


def decode(data: bytes) -> BackupList:
    shared = _decoder.decode(zlib.decompress(data))
    listing = Listing(shared.backups, shared.counted)
    made = BackupList(listing, fetched=shared.fetched, size=shared.size)
    made.known = shared.known
    return made


def stale_allowed() -> bool:
    return kept_seconds() > settings.BACKUPS_CACHE_SECONDS


class _Flight:
    """One fetch under way in this process, and what came of it."""

    def __init__(self):
        self.done = threading.Event()
        self.result: BackupList | None = None
        self.error: BaseException | None = None

    def outcome(self) -> BackupList:
        if not self.done.wait(settings.BACKUPS_API_TIMEOUT):
            raise Unavailable()
        if self.error is not None:
            raise self.error
        return self.result


class ListCache:
    def __init__(self, local: Memory):
        self.memory = local
        self._lock = threading.Lock()
        self._flights: dict[tuple, _Flight] = {}

    # The entry points --------------------------------------------------------------------

    def get_or_fetch(
        self, key: tuple, fetch: Callable[[], BackupList], *, max_age: float | None = None
    ) -> BackupList:
        """The list of `key` (token row id, freshness version). `fetch` asks the API and
        does what follows a fresh list, in the one process that holds the token's lock, and
        returns the complete list. `max_age`: how old the list may be; None lets a list up
        to `BACKUPS_STALE_SECONDS` old be shown at once while a new one is fetched."""
        asked = time.time()
        limit = settings.BACKUPS_CACHE_SECONDS if max_age is None else max_age
        found = self._recall(key)
        if found is not None and found.age() <= limit:
            return found
        if max_age is None and found is not None and stale_allowed():
            self._refresh_behind(key, fetch, found)
            return found

        return self._fly(key, fetch, _fresh_enough(limit, asked))

    def peek(self, key: tuple) -> BackupList | None:
        """The list kept for `key`, of any age it may be kept; never asks the API."""
        return self._recall(key)

    def forget(self, key: tuple) -> None:
        """Drops the token's lists here, and the shared one of this version."""
        self.memory.forget(key[0])
        shared = _shared()
        if shared is not None:
            with _passing_by("forget"):
                shared.delete_many([_list_key(key), _stamp_key(key)])

    def clear(self) -> None:
        """Everything, the shared cache's database included (tests only)."""
        self.memory.clear()
        shared = _shared()
        if shared is not None:
            with _passing_by("clear"):
                shared.clear()

    # The layers ----------------------------------------------------------------------------

    def _recall(self, key: tuple) -> BackupList | None:
        """This process's copy, or the shared one if it is newer (kept here from then on)."""
        local = self.memory.recall(key)
        if local is not None and local.age() <= settings.BACKUPS_CACHE_SECONDS:
            return local
        newer = None if local is None else (lambda fetched: fetched > local.fetched)
        shared = self._shared_get(key, wanted=newer)
        return local if shared is None else self.memory.keep(key, shared)

    def _shared_get(self, key: tuple, wanted: Callable[[float], bool] | None = None):
        """The shared list of `key`, if any, and if `wanted` (given when it was fetched, read
        first from its stamp) says so: a list not wanted is neither read nor decoded."""
        shared = _shared()
        if shared is None:
            return None
        data = None
        with _passing_by("read"):
            if wanted is not None:
                stamp = shared.get(_stamp_key(key))
                if not isinstance(stamp, float) or not wanted(stamp):
                    return None
            data = shared.get(_list_key(key))
        if data is None:
            return None
        try:
            made = decode(data)
        except (msgspec.MsgspecError, zlib.error, TypeError):
            logger.warning("lists: a shared list could not be read; fetching instead")
            return None
        if made.age() >= kept_seconds() or (wanted is not None and not wanted(made.fetched)):
            return None
        return made

    def _store(self, key: tuple, made: BackupList) -> BackupList:
        self.memory.keep(key, made)
        shared = _shared()
        seconds = kept_seconds()
        if shared is not None and seconds > 0:
            both = {_list_key(key): encode(made), _stamp_key(key): made.fetched}
            with _passing_by("write"):
                shared.set_many(both, timeout=math.ceil(seconds))  # one transaction
        return made

    # One fetch at a time -------------------------------------------------------------------

    def _fly(self, key: tuple, fetch, fresh_enough) -> BackupList:
        """The threads of this process that want `key` share one flight."""
        while True:
            with self._lock:
                flight = self._flights.get(key)
                leading = flight is None
                if leading:
                    flight = self._flights[key] = _Flight()
            if leading:
                return self._lead(key, fetch, fresh_enough, flight, wait=True)
            made = flight.outcome()
            if made is not None:
                return made
            # That flight was a refresh behind a page, which left the fetch to another
            # process: this thread waits for that process's list itself.

    def _lead(self, key: tuple, fetch, fresh_enough, flight: _Flight, *, wait: bool):
        try:
            flight.result = self._across(key, fetch, fresh_enough, wait=wait)
            return flight.result
        except BaseException as error:
            flight.error = error
            raise
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()

    def _refresh_behind(self, key: tuple, fetch, shown: BackupList) -> None:
        """A new list for `key`, fetched by a thread of its own unless one is under way;
        `shown`: the older list the page shows meanwhile."""
        with self._lock:
            if key in self._flights:
                return
            flight = self._flights[key] = _Flight()
        fresh_enough = _fresh_enough(settings.BACKUPS_CACHE_SECONDS, time.time())

        def refresh():
            try:
                self._lead(key, fetch, fresh_enough, flight, wait=False)
            except UpstreamError as error:
                # The pages keep showing the older list, saying so (the token's row notes
                # the failure): one line for each refresh that failed.
                cause, age = cause_of(error), round(shown.age())
                logger.warning(
                    "lists: a list refreshed behind a page failed (%s); pages show the one "
                    "of %d s ago",
                    cause,
                    age,
                    extra={
                        "list_refresh": "failed",
                        "cause": cause,
                        "list_age_s": age,
                        "token_row": key[0],
                    },
                )
            except Exception:
                logger.exception("lists: a list refreshed behind a page failed")
            finally:
                connections.close_all()  # this thread's own, never reused

        threading.Thread(target=refresh, name="backupsui-list-refresh", daemon=True).start()

    def _across(self, key: tuple, fetch, fresh_enough, *, wait: bool) -> BackupList | None:
        """One fetch per token across processes (see the module's text). Without `wait`,
        None when another process is fetching through Redis."""
        deadline = time.monotonic() + settings.BACKUPS_API_TIMEOUT
        shared = _shared()
        if shared is not None:
            return self._across_redis(shared, key, fetch, fresh_enough, deadline, wait)
        if connection.vendor == "postgresql":
            with advisory_lock(key[0], deadline):
                return self._store(key, fetch())
        return self._store(key, fetch())

    def _across_redis(self, shared, key, fetch, fresh_enough, deadline, wait):
        seconds = settings.BACKUPS_API_TIMEOUT + LOCK_MARGIN_SECONDS
        lock = SharedLock(shared, _lock_key(key), seconds)
        pause = 0.01
        while True:
            found = self._shared_get(key, wanted=fresh_enough)
            if found is not None:
                return self.memory.keep(key, found)
            if lock.acquire():
                try:
                    found = self._shared_get(key, wanted=fresh_enough)  # left just before
                    if found is not None:
                        return self.memory.keep(key, found)
                    return self._store(key, fetch())
                finally:
                    lock.release()
            if not wait:
                return None  # another process is fetching: the next page finds its list
            if time.monotonic() >= deadline:
                raise Unavailable()
            time.sleep(pause)  # another process is fetching: its list's stamp will say
            pause = min(pause * 2, 0.1)


def _fresh_enough(limit: float, asked: float) -> Callable[[float], bool]:
    """Whether a list fetched at a time is fresh enough: at most `limit` seconds old, or
    fetched since `asked` (a fetch that began after the caller asked will do)."""
    return lambda fetched: time.time() - fetched <= limit or fetched >= asked


def _shared():
    """The shared cache (Redis), or None."""
    return caches["lists"] if "lists" in settings.CACHES else None


def _list_key(key: tuple) -> str:
    return f"list:{key[0]}:{key[1]}"


def _stamp_key(key: tuple) -> str:
    return f"list-fetched:{key[0]}:{key[1]}"  # when the list beside it was fetched


def _lock_key(key: tuple) -> str:
    return f"fetching:{key[0]}"  # one fetch per token, whatever the version


@contextmanager
def _passing_by(what: str):
    """A shared cache that fails is passed by: the list is then this process's own."""
    from redis.exceptions import RedisError

    try:
        yield
    except RedisError as error:
        logger.warning("lists: the shared cache failed to %s (%s)", what, type(error).__name__)


list_cache = ListCache(memory)
