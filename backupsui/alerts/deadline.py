"""A hard bound on the whole of one delivery (BACKUPSUI_ALERT_TIMEOUT, wall clock): a
receiver that answers one byte every few seconds never lets a per-read timeout fire, so at
the deadline the delivery's sockets are shut down under it, and whatever it was doing ends
with an error at once."""

import contextlib
import socket
import threading
import time

from django.conf import settings


class Deadline:
    def __init__(self, seconds: float | None = None):
        seconds = settings.BACKUPSUI_ALERT_TIMEOUT if seconds is None else seconds
        self.ends = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.ends - time.monotonic())

    @property
    def passed(self) -> bool:
        return self.left() <= 0


class Cutoff:
    """Shuts down every socket handed to `watch` when the deadline passes (a context)."""

    def __init__(self, deadline: Deadline):
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.fired = False
        self._timer = threading.Timer(deadline.left(), self._fire)
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

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock) -> None:
    """The plain socket's shutdown, under TLS too: a read blocked on it returns at once."""
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
