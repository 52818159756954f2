"""A hard bound on one alert's sending (BACKUPSUI_ALERT_TIMEOUT, wall clock).

What goes to addresses people chose (the webhook, Apprise URLs) is sent by a child process,
ended at the deadline (sender.py): nothing it was doing can outlive it, and nothing else of
the worker is touched. The email, to the operator's own mail server, is sent by the worker
itself: each step bounded by the mail library's timeout, and the whole by `Cutoff`, which
shuts down that connection's own socket at the deadline (a server answering one byte every
few seconds never lets a per-read timeout fire)."""

import contextlib
import socket
import threading
import time


class Deadline:
    """A moment on the monotonic clock (the system's: the same in a child process)."""

    def __init__(self, seconds: float | None = None, *, clock=time.monotonic):
        if seconds is None:
            from django.conf import settings

            seconds = settings.BACKUPSUI_ALERT_TIMEOUT
        self.clock = clock
        self.ends = clock() + seconds

    @classmethod
    def at(cls, ends: float, *, clock=time.monotonic) -> "Deadline":
        made = cls(0, clock=clock)
        made.ends = ends
        return made

    def left(self) -> float:
        return max(0.0, self.ends - self.clock())

    @property
    def passed(self) -> bool:
        return self.left() <= 0


class Cutoff:
    """Shuts down every socket handed to `watch` when the deadline passes (a context)."""

    def __init__(self, deadline: Deadline):
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.fired = False
        self._timer = threading.Timer(deadline.left(), self.fire)
        self._timer.daemon = True

    def __enter__(self) -> "Cutoff":
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()

    def watch(self, sock) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shut(sock)

    def fire(self) -> None:
        """Shuts every watched socket now (the deadline has passed)."""
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock) -> None:
    """The plain socket's shutdown, under TLS too: a read blocked on it returns at once."""
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
