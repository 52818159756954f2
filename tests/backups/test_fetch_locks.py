"""The token's fetch lock across processes (backupsui/backups/fetch_locks.py): redis-py's Lock,
whose release is one compare-and-delete. A lock that ran out and was taken by another process
is not let go of by the first; neither process can let go of the other's. The other process
is a real one, started here, holding the lock until told to let go."""

import os
import subprocess
import sys
import time

import pytest
import redis
from django.core.cache import caches

from backupsui.backups.fetch_locks import SharedLock
from tests.conftest import REDIS_URL
from tests.stack import ROOT

pytestmark = pytest.mark.redis

NAME = "fetching:7"

# The other process: takes the lock (for `seconds`), says so, lets go when told, says how.
OTHER = """
import os, sys
import django
django.setup()
from django.core.cache import caches
from backupsui.backups.fetch_locks import SharedLock
lock = SharedLock(caches["lists"], sys.argv[1], float(sys.argv[2]))
print("taken" if lock.acquire() else "not taken", flush=True)
sys.stdin.readline()
lock.release()
print("released", flush=True)
"""


class OtherProcess:
    def __init__(self, seconds: float):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "BACKUPSUI_CACHE_URL": REDIS_URL,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-c", OTHER, NAME, str(seconds)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def said(self) -> str:
        return self.process.stdout.readline().strip()

    def release(self) -> str:
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        said = self.said()
        self.process.wait(timeout=30)
        return said


@pytest.fixture
def shared(shared_cache):
    return caches["lists"], shared_cache


def held_by_someone(raw) -> bool:
    return bool([key for key in raw.keys("*") if key.endswith(NAME.encode())])


def until(condition, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_it_does_not_let_go_of_a_lock_another_process_took_after_its_own_ran_out(shared):
    cache, raw = shared
    mine = SharedLock(cache, NAME, seconds=0.2)
    assert mine.acquire()
    assert until(lambda: not held_by_someone(raw))  # it ran out
    other = OtherProcess(seconds=30)
    try:
        assert other.said() == "taken"
        mine.release()  # too late: the other's lock stays
        assert held_by_someone(raw)
        assert not SharedLock(cache, NAME, seconds=30).acquire()
    finally:
        assert other.release() == "released"
    assert not held_by_someone(raw)


def test_it_leaves_alone_a_lock_another_process_took_while_it_was_letting_go_of_its_own(
    shared, monkeypatch
):
    """Between whatever it sends to let go and the next thing it sends, this process stalls:
    its lock runs out and another process takes it. A release in one step (compare and
    delete in one script) leaves nothing between; a read then a delete would delete the
    other's lock."""
    cache, raw = shared
    mine = SharedLock(cache, NAME, seconds=0.3)
    assert mine.acquire()
    others, stalled, send = [], [], redis.Redis.execute_command

    def stalling(client, *args, **options):
        answer = send(client, *args, **options)
        if client is not raw and not stalled:
            stalled.append(args[0])
            assert until(lambda: not held_by_someone(raw))  # it runs out meanwhile...
            others.append(OtherProcess(seconds=30))
            assert others[0].said() == "taken"  # ...and another process takes it
        return answer

    monkeypatch.setattr(redis.Redis, "execute_command", stalling)
    try:
        mine.release()
        monkeypatch.undo()
        assert stalled and held_by_someone(raw), "the other process's lock was deleted"
    finally:
        monkeypatch.undo()
        for other in others:
            other.release()
    assert not held_by_someone(raw)


def test_it_cannot_let_go_of_the_lock_another_process_holds(shared):
    cache, raw = shared
    other = OtherProcess(seconds=30)
    try:
        assert other.said() == "taken"
        intruder = SharedLock(cache, NAME, seconds=30)
        assert not intruder.acquire()
        intruder.release()
        assert held_by_someone(raw)
    finally:
        assert other.release() == "released"
    mine = SharedLock(cache, NAME, seconds=30)
    assert mine.acquire()  # free once its holder let go of it
    mine.release()
    assert not held_by_someone(raw)


def test_it_is_taken_when_redis_does_not_answer(settings):
    settings.CACHES = {
        **settings.CACHES,
        "lists": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/5",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        },
    }
    lock = SharedLock(caches["lists"], NAME, seconds=1)
    assert lock.acquire()  # fetch alone
    lock.release()  # and no error when letting go
