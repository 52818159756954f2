"""Counting the calls to the Backups API for /metrics, the same on every replica: each process
adds each call (which one, how it ended, how long it took) and each opening of its breaker to
a ledger in memory, a few microseconds a call under a lock, and a thread of its own adds the
ledger to the database every FLUSH_SECONDS (a handful of UPDATEs with F(), whatever the number
of calls), and once more when the process exits. A process killed outright loses at most its
last few seconds of counts; a database that does not answer keeps them in memory until it
does (a row per kind of call and outcome, so the ledger stays small).

Started by the processes that live (the web process, the worker, the scheduler:
`start()`); elsewhere (a management command, the tests) calls are counted in memory only,
until `flush()`."""

import atexit
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from django.db import DatabaseError, IntegrityError, close_old_connections, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

logger = logging.getLogger("backupsui.upstream")
# The histogram's bounds, in seconds, and their columns (models.CallCount): each counts the
# calls that took at most that long (Prometheus' cumulative `le` buckets).
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BUCKET_COLUMNS = tuple("le_" + f"{bound:g}".replace(".", "_") for bound in BUCKETS)
FLUSH_SECONDS = 5.0
BREAKER = "backups_api"
# Outcomes in which the API answered (a refusal included): what closes a breaker.
ANSWERED = frozenset({"ok", "4xx", "429", "too_large", "unreadable"})


@dataclass
class Tally:
    count: int = 0
    seconds: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    last_at: datetime | None = None

    def add(self, seconds: float, at: datetime) -> None:
        self.count += 1
        self.seconds += seconds
        for index, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.buckets[index] += 1
        self.last_at = at if self.last_at is None else max(self.last_at, at)

    def merge(self, other: "Tally") -> None:
        self.count += other.count
        self.seconds += other.seconds
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets, strict=True)]
        if other.last_at is not None:
            self.last_at = max(filter(None, (self.last_at, other.last_at)))


class Ledger:
    def __init__(self):
        self._lock = threading.Lock()
        self._calls: dict[tuple[str, str], Tally] = {}
        self._openings = Tally()

    def call(self, call: str, outcome: str, seconds: float, at: datetime | None = None) -> None:
        at = at or timezone.now()
        with self._lock:
            self._calls.setdefault((call, outcome), Tally()).add(seconds, at)

    def breaker_opened(self, at: datetime | None = None) -> None:
        with self._lock:
            self._openings.add(0.0, at or timezone.now())

    def take(self) -> tuple[dict[tuple[str, str], Tally], Tally]:
        """What was counted since the last take, leaving the ledger empty."""
        with self._lock:
            taken = self._calls, self._openings
            self._calls, self._openings = {}, Tally()
        return taken

    def give_back(self, calls: dict[tuple[str, str], Tally], openings: Tally) -> None:
        with self._lock:
            for key, tally in calls.items():
                self._calls.setdefault(key, Tally()).merge(tally)
            self._openings.merge(openings)

    def flush(self) -> bool:
        """Adds what was counted to the database; False (the counts kept) when it fails."""
        from .models import BreakerOpening, CallCount  # (this module loads before the models)

        calls, openings = self.take()
        if not calls and not openings.count:
            return True
        try:
            with transaction.atomic():
                for (call, outcome), tally in sorted(calls.items()):
                    _add(CallCount, {"call": call, "outcome": outcome}, tally)
                if openings.count:
                    _add(BreakerOpening, {"name": BREAKER}, openings, buckets=False)
        except DatabaseError as error:
            self.give_back(calls, openings)
            cause = (str(error).strip().splitlines() or [type(error).__name__])[0]
            logger.warning("the calls' counts could not be written (%s); kept for later", cause)
            return False
        return True


def _add(model, key: dict, tally: Tally, buckets: bool = True) -> None:
    """The tally added to its row (made if it is the first), by UPDATEs with F(): whatever
    other processes add at the same moment is added too, never overwritten."""
    newest = Greatest(Coalesce(F("last_at"), Value(tally.last_at)), Value(tally.last_at))
    increments = {"count": F("count") + tally.count, "last_at": newest}
    if buckets:
        increments["seconds"] = F("seconds") + tally.seconds
        for column, number in zip(BUCKET_COLUMNS, tally.buckets, strict=True):
            increments[column] = F(column) + number
    if model.objects.filter(**key).update(**increments):
        return
    try:
        with transaction.atomic():
            values = {"count": tally.count, "last_at": tally.last_at}
            if buckets:
                values["seconds"] = tally.seconds
                values.update(zip(BUCKET_COLUMNS, tally.buckets, strict=True))
            model.objects.create(**key, **values)
    except IntegrityError:  # made this moment by another process
        model.objects.filter(**key).update(**increments)


ledger = Ledger()
_started = threading.Event()
_stopping = threading.Event()


def start(every: float = FLUSH_SECONDS) -> None:
    """For a process that lives: a thread that adds the ledger to the database every `every`
    seconds, and a last addition when the process exits. Once per process."""
    if _started.is_set():
        return
    _started.set()
    threading.Thread(target=_flush_every, args=(every,), name="ledger", daemon=True).start()
    atexit.register(_last_flush)


def _flush_every(every: float) -> None:
    while not _stopping.wait(every):
        close_old_connections()
        ledger.flush()
        close_old_connections()


def _last_flush() -> None:
    _stopping.set()
    try:
        ledger.flush()
    except Exception:  # noqa: BLE001 - the process is ending; nothing else to do
        logger.warning("the calls' last counts could not be written at exit")
