"""A hard bound on the whole of one delivery (BACKUPSUI_ALERT_TIMEOUT, wall clock): a
receiver that answers one byte every few seconds never lets a per-read timeout fire, so at
the deadline the delivery's sockets are shut down under it, and whatever it was doing ends
with an error at once.

A library that makes its own sockets (Apprise, through requests) hands none over: the
sockets its thread connects are caught through the interpreter's "socket.connect" audit
event instead (sockets_of_this_thread), whatever library makes them, TLS or not."""

import contextlib
import socket
import sys
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
        self._copies: list[socket.socket] = []  # ours to close (watch_copy)
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

    def watch_copy(self, sock) -> None:
        """Watches a socket through a copy of its descriptor: a library may wrap the socket
        it connected (TLS) and drop the object we were shown, but shutting down the copy
        ends the connection all the same. The copies are closed by `release`."""
        try:
            copy = sock.dup()
        except OSError:
            return
        with self._lock:
            fired = self.fired
            if not fired:
                self._copies.append(copy)
        if fired:
            _shut(copy)
            copy.close()

    def release(self) -> None:
        """Closes the copies (the connections themselves are their owners' to close)."""
        with self._lock:
            copies, self._copies = self._copies, []
        for copy in copies:
            copy.close()

    def fire(self) -> None:
        """Shuts every watched socket now (the deadline has passed)."""
        self._fire()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = [*self._sockets, *self._copies]
        for sock in sockets:
            _shut(sock)


def _shut(sock) -> None:
    """The plain socket's shutdown, under TLS too: a read blocked on it returns at once."""
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_this_thread = threading.local()
_hooked = threading.Lock()
_hook_added = False


def _audit(event: str, args: tuple) -> None:
    # Called for every audited action of the process: the quickest test first, and never an
    # exception (it would stop the action).
    if event == "socket.connect":
        cutoff = getattr(_this_thread, "cutoff", None)
        if cutoff is not None:
            with contextlib.suppress(Exception):
                cutoff.watch_copy(args[0])


@contextlib.contextmanager
def sockets_of_this_thread(cutoff: Cutoff):
    """While inside, every socket this thread connects is watched by `cutoff` (through a
    copy); on leaving, the copies are closed. The audit hook is added once per process, on
    first use, and does nothing for any other thread."""
    global _hook_added
    with _hooked:
        if not _hook_added:
            sys.addaudithook(_audit)
            _hook_added = True
    _this_thread.cutoff = cutoff
    try:
        yield
    finally:
        _this_thread.cutoff = None
        cutoff.release()
