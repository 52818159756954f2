"""The circuit breaker on its own clock: open after three failures, one probe per pause,
closed again by a success."""

import pytest

from backupsui.upstream import breaker
from backupsui.upstream.breaker import Breaker


@pytest.fixture
def clock(monkeypatch):
    moment = [100.0]
    monkeypatch.setattr(breaker, "now", lambda: moment[0])
    return moment


def test_it_opens_after_three_failures_and_lets_one_probe_through_per_pause(clock):
    door = Breaker(failures=3, pause=5)
    for _ in range(3):
        assert door.allow()
        door.failure()
    assert not door.allow()
    clock[0] += 4.9
    assert not door.allow()
    clock[0] += 0.2
    assert door.allow()  # the probe
    assert not door.allow()  # everyone else waits for it
    door.failure()  # the probe failed: another pause
    clock[0] += 4.9
    assert not door.allow()
    clock[0] += 0.2
    assert door.allow()
    door.success()
    assert door.allow() and door.allow()


def test_it_lets_a_new_probe_through_when_the_last_one_never_came_back(clock):
    door = Breaker(failures=1, pause=5)
    door.failure()
    clock[0] += 5
    assert door.allow()  # a probe, which never reports
    assert not door.allow()
    clock[0] += 5
    assert door.allow()
