"""Lists for every thread, process and replica (backupsui/backups/cache.py): one fetch per
token at a time, shared through Redis when configured, a slightly old list shown at once while
a new one is fetched, and exact lists where they matter. Two ListCache objects stand for two
processes (each has its own memory and its own flights); the replica tests are in
test_shared_lists.py."""

import itertools
import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection, connections

from backupsui.backups.cache import ListCache, decode, encode, list_cache
from backupsui.backups.lists import BackupList, Memory
from backupsui.upstream import Backup, Listing, Server

pytestmark = pytest.mark.django_db(transaction=True)


def listing(count: int = 3, counted: int | None = None) -> Listing:
    when = datetime(2025, 1, 1, 3, tzinfo=UTC)
    return Listing(
        [
            Backup(
                id=n + 1,
                server=Server(id=100 + n % 2, name=f"web-{n % 2}"),
                created_at=when,
                description=f"backup {n}",
                status="completed",
                backup_type="automatic",
                size_mb=n,
            )
            for n in range(count)
        ],
        counted,
    )


class Upstream:
    """A `fetch` that counts its calls, can be held until released, and notes how many run
    at once."""

    def __init__(self, held: bool = False):
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self.started = threading.Event()
        self.release = threading.Event()
        if not held:
            self.release.set()
        self.lock = threading.Lock()

    def __call__(self) -> BackupList:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self.started.set()
        try:
            assert self.release.wait(10), "the fetch was never released"
            made = BackupList(listing())
            made.known = {100: "web-0", 101: "web-1", 7: "gone-server"}
            return made
        finally:
            with self.lock:
                self.running -= 1
            connections.close_all()


def at_once(count: int, call) -> list:
    results, errors = [None] * count, []

    def run(number):
        try:
            results[number] = call()
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    return threads, results, errors


def joined(threads) -> None:
    for thread in threads:
        thread.join(15)
        assert not thread.is_alive()


@pytest.fixture
def fresh(settings):
    settings.BACKUPS_CACHE_SECONDS = 5
    settings.BACKUPS_STALE_SECONDS = 60
    settings.BACKUPS_API_TIMEOUT = 10
    return settings


def test_it_makes_the_threads_of_a_process_share_one_fetch(fresh):
    upstream = Upstream(held=True)
    threads, results, errors = at_once(8, lambda: list_cache.get_or_fetch((1, 0), upstream))
    assert upstream.started.wait(5)
    upstream.release.set()
    joined(threads)
    assert errors == [] and upstream.calls == 1
    assert all(result is results[0] for result in results)
    assert list_cache.peek((1, 0)) is results[0]


def test_it_shows_a_slightly_old_list_at_once_and_fetches_a_new_one_behind_it(fresh):
    old = BackupList(listing(2), fetched=time.time() - 20)
    list_cache.memory.keep((1, 0), old)
    upstream = Upstream(held=True)

    assert list_cache.get_or_fetch((1, 0), upstream) is old  # at once, while upstream waits
    assert upstream.started.wait(5)
    assert list_cache.get_or_fetch((1, 0), upstream) is old  # one fetch behind it, not two
    # A confirmation waits for the new list instead.
    threads, results, errors = at_once(
        1, lambda: list_cache.get_or_fetch((1, 0), upstream, max_age=fresh.BACKUPS_CACHE_SECONDS)
    )
    upstream.release.set()
    joined(threads)
    assert errors == [] and upstream.calls == 1
    assert results[0] is not old and results[0].age() < 5
    assert list_cache.get_or_fetch((1, 0), upstream) is results[0]


def test_it_fetches_a_list_too_old_to_show(fresh):
    list_cache.memory.keep((1, 0), BackupList(listing(2), fetched=time.time() - 30))
    fresh.BACKUPS_STALE_SECONDS = 20
    upstream = Upstream()
    made = list_cache.get_or_fetch((1, 0), upstream)
    assert upstream.calls == 1 and len(made.backups) == 3


def test_it_shows_nothing_old_when_the_stale_window_is_off(fresh):
    fresh.BACKUPS_STALE_SECONDS = 0
    list_cache.memory.keep((1, 0), BackupList(listing(2), fetched=time.time() - 6))
    upstream = Upstream()
    assert len(list_cache.get_or_fetch((1, 0), upstream).backups) == 3
    assert upstream.calls == 1


def eventually(condition, seconds: float = 5) -> bool:
    """Whether `condition` holds within `seconds` (checked every few milliseconds)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


def test_it_takes_turns_across_processes_on_postgresql(fresh):
    """Without Redis, two processes fetching one token's list: on PostgreSQL one at a time
    (an advisory lock); on SQLite each on its own, as before."""
    upstream = Upstream(held=True)
    here, there = ListCache(Memory()), ListCache(Memory())
    first, _, first_errors = at_once(1, lambda: here.get_or_fetch((1, 0), upstream))
    assert upstream.started.wait(5)
    second, _, second_errors = at_once(1, lambda: there.get_or_fetch((1, 0), upstream))
    both_at_once = eventually(lambda: upstream.calls == 2, seconds=1)
    upstream.release.set()
    joined(first + second)
    assert first_errors == second_errors == [] and upstream.calls == 2
    if connection.vendor == "postgresql":
        assert not both_at_once and upstream.most_at_once == 1
    else:
        assert both_at_once and upstream.most_at_once == 2


def test_it_encodes_a_list_compactly_and_reads_it_back_whole():
    made = BackupList(listing(1000, counted=1200), fetched=1_700_000_000.25)
    made.known = {100: "web-0", 101: "web-1", 7: "gone-server"}
    data = encode(made)
    assert len(data) < 1000 * 20  # compressed: tens of bytes a backup, not hundreds
    back = decode(data)
    assert back.fetched == made.fetched and back.counted == 1200 and back.short
    assert back.known == made.known
    assert list(back.backups) == list(made.backups)
    assert back.backups[0].created_at.tzinfo is not None


# Shared through Redis -------------------------------------------------------------------


@pytest.mark.redis
def test_it_makes_two_processes_share_one_fetch_through_redis(fresh, shared_cache):
    upstream = Upstream(held=True)
    processes = itertools.cycle([ListCache(Memory()), ListCache(Memory())])
    threads, results, errors = at_once(8, lambda: next(processes).get_or_fetch((1, 0), upstream))
    assert upstream.started.wait(5)
    upstream.release.set()
    joined(threads)
    assert errors == [] and upstream.calls == 1
    assert {len(result.backups) for result in results} == {3}
    assert {result.fetched for result in results} == {results[0].fetched}
    # A third process, later: from Redis, decoded, with what was worked out at fetch time.
    third = ListCache(Memory())
    found = third.get_or_fetch((1, 0), upstream)
    assert upstream.calls == 1 and found.known[7] == "gone-server"
    assert third.peek((1, 0)) is found


@pytest.mark.redis
def test_it_keys_shared_lists_by_token_row_and_version_never_the_token(fresh, shared_cache):
    upstream = Upstream()
    list_cache.get_or_fetch((41, 1234), upstream)
    keys = shared_cache.keys("*")
    assert any(k.endswith(b"list:41:1234") for k in keys), keys
    list_cache.get_or_fetch((41, 5678), upstream)  # a change: a new version, a new fetch
    assert upstream.calls == 2
    list_cache.forget((41, 5678))
    assert not any(k.endswith(b"list:41:5678") for k in shared_cache.keys("*"))


@pytest.mark.redis
def test_it_waits_for_another_processes_fetch_and_uses_its_list(fresh, shared_cache):
    upstream = Upstream(held=True)
    here, there = ListCache(Memory()), ListCache(Memory())
    first = threading.Thread(target=lambda: here.get_or_fetch((1, 0), upstream))
    first.start()
    assert upstream.started.wait(5)
    threads, results, errors = at_once(1, lambda: there.get_or_fetch((1, 0), upstream, max_age=5))
    upstream.release.set()
    joined([first, *threads])
    assert errors == [] and upstream.calls == 1 and len(results[0].backups) == 3


@pytest.mark.redis
def test_it_fetches_alone_when_redis_does_not_answer(fresh, settings):
    settings.CACHES = {
        **settings.CACHES,
        "lists": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/5",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    upstream = Upstream()
    made = ListCache(Memory()).get_or_fetch((1, 0), upstream)
    assert upstream.calls == 1 and len(made.backups) == 3


def two_processes_with_an_old_list() -> tuple[ListCache, ListCache]:
    """Two processes that hold the same list, 20 s old: one left it in Redis, the other took
    it from there."""
    here, there = ListCache(Memory()), ListCache(Memory())
    old = BackupList(listing(2), fetched=time.time() - 20)
    here._store((1, 0), old)
    there.memory.keep((1, 0), decode(encode(old)))
    return here, there


@pytest.mark.redis
def test_it_leaves_a_refresh_to_the_process_already_fetching(fresh, shared_cache):
    """A process showing a slightly old list while another fetches the new one neither waits
    for that fetch nor reads the shared list again until the new one is there."""
    upstream = Upstream(held=True)
    here, there = two_processes_with_an_old_list()
    first, _, first_errors = at_once(1, lambda: here.get_or_fetch((1, 0), upstream, max_age=5))
    assert upstream.started.wait(5)

    assert len(there.get_or_fetch((1, 0), upstream).backups) == 2  # the old one, at once
    assert eventually(lambda: not there._flights)  # its refresh ended: no second fetch
    upstream.release.set()
    joined(first)
    assert first_errors == [] and upstream.calls == 1
    assert len(there.get_or_fetch((1, 0), upstream).backups) == 3  # the other's new list


@pytest.mark.redis
def test_it_reads_a_shared_list_only_when_it_is_newer_than_its_own(
    fresh, shared_cache, monkeypatch
):
    from backupsui.backups import cache

    here, there = two_processes_with_an_old_list()
    decoded = []
    monkeypatch.setattr(cache, "decode", lambda data: decoded.append(1) or decode(data))
    upstream = Upstream(held=True)

    for _ in range(5):  # a page each: the old list, the refresh behind it under way
        assert len(there.get_or_fetch((1, 0), upstream).backups) == 2
    assert upstream.started.wait(5)
    assert decoded == []  # the shared list was as old as its own: neither read nor decoded
    upstream.release.set()
    assert eventually(lambda: not there._flights)
    assert upstream.calls == 1
    assert len(here.get_or_fetch((1, 0), upstream).backups) == 3  # from Redis, decoded once
    assert decoded == [1]


@pytest.mark.redis
def test_it_makes_a_confirmation_wait_for_the_fetch_another_process_makes(fresh, shared_cache):
    """A confirmation that finds this process's refresh leaving the fetch to another process
    waits for that process's list instead."""
    upstream = Upstream(held=True)
    here, there = two_processes_with_an_old_list()
    first, _, _ = at_once(1, lambda: here.get_or_fetch((1, 0), upstream, max_age=5))
    assert upstream.started.wait(5)
    there.get_or_fetch((1, 0), upstream)  # starts a refresh behind the page
    waiting, results, errors = at_once(1, lambda: there.get_or_fetch((1, 0), upstream, max_age=5))
    upstream.release.set()
    joined(first + waiting)
    assert errors == [] and upstream.calls == 1 and len(results[0].backups) == 3
