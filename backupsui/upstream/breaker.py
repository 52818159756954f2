"""A circuit breaker per upstream address, in this process: after a few failures in a row
(refused, timed out, 5xx), calls are refused at once for a few seconds, then one is let
through to probe. A page then says "unreachable" at once instead of waiting, and a down
upstream is not hammered by every list view and every retry. Each opening is counted for
/metrics (the ledger), where the deployment's breakers add up."""

import threading
import time

from .ledger import ledger

FAILURES_TO_OPEN = 3
PAUSE_SECONDS = 5.0


def now() -> float:
    """The breaker's clock (tests move it on by hand)."""
    return time.monotonic()


class Breaker:
    def __init__(self, failures: int = FAILURES_TO_OPEN, pause: float = PAUSE_SECONDS):
        self.limit, self.pause = failures, pause
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until = 0.0
        self._probe_until = 0.0

    def allow(self) -> bool:
        with self._lock:
            if self._failures < self.limit:
                return True
            moment = now()
            if moment < self._open_until or moment < self._probe_until:
                return False
            # Half open: this call is the probe; others wait until it ends (or times out).
            self._probe_until = moment + self.pause
            return True

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            self._open_until = self._probe_until = 0.0

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._probe_until = 0.0
            if self._failures >= self.limit:
                self._open_until = now() + self.pause
            opened = self._failures == self.limit  # closed until now (not a probe's failure)
        if opened:
            ledger.breaker_opened()


_lock = threading.Lock()
_breakers: dict[str, Breaker] = {}


def breaker_for(base_url: str) -> Breaker:
    with _lock:
        found = _breakers.get(base_url)
        if found is None:
            found = _breakers[base_url] = Breaker()
        return found


def reset() -> None:
    """Forgets every failure (tests start from a healthy upstream)."""
    with _lock:
        _breakers.clear()
