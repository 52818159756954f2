"""Sending to the addresses people chose (the webhook, Apprise URLs) side by side, in a child
process that is ended at the deadline.

One alert's ways all go at once, each in a thread of the child, so a slow receiver costs
the others nothing; whatever is still going at the deadline dies with the child (SIGKILL),
however slowly a receiver answers and whatever library made the connection. Nothing of the
worker is touched: the child is a process of its own, forked from a server process started
once (multiprocessing's "forkserver", with Apprise loaded) and free of the worker's threads,
database connections and settings. The child first calls outbound.pin: every name resolved
in it is answered only with addresses the outbound rule allows.

Each result comes back through a pipe as soon as it is known; what has not come back by the
deadline is not delivered."""

import multiprocessing
import threading
from dataclasses import dataclass

from backupsui import outbound
from backupsui.words import Sentence

from . import chat, webhook
from .deadline import Deadline

# What the parent waits for the child to end after killing it, at most.
REAP_SECONDS = 2.0
# The key (way, BROKE) holds why a way broke off, if it did.
BROKE = -1


@dataclass
class Outcome:
    ok: bool
    said: Sentence  # kept and shown: never what answered
    detail: str  # for the server's log only


_context = None
_context_lock = threading.Lock()


def processes():
    """The forkserver context, its server loading this module and Apprise's plugins once
    (preload.py)."""
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["backupsui.alerts.preload"])
            _context = context
        return _context


_started = False


def _nothing() -> None:
    pass


def ready() -> None:
    """Starts the sending server, once per process, and waits until it forks (loading
    Apprise takes about a second): called before an alert's deadline starts, so that the
    first alert of a worker has all of its time."""
    global _started
    with _context_lock:
        if _started:
            return
    child = processes().Process(target=_nothing, name="alert-sender")
    child.start()
    child.join()
    with _context_lock:
        _started = True


def run(ways: list, rule: outbound.Rule, ends: float, connection) -> None:
    """The child: each way in a thread of its own; each result sent as it is known."""
    outbound.pin(rule)
    deadline = Deadline.at(ends)
    lock = threading.Lock()

    def sending(number: int, way) -> None:
        def report(alert: int, ok: bool, said: Sentence, detail: str) -> None:
            with lock:
                connection.send((number, alert, ok, said, detail))

        try:
            if isinstance(way, webhook.WebhookWay):
                webhook.send(way, deadline, rule, report)
            else:
                chat.send(way, deadline, rule, report)
        except Exception as error:  # noqa: BLE001 - what came back so far stands
            with lock:
                connection.send((number, None, False, None, type(error).__name__))

    threads = [
        threading.Thread(target=sending, args=(number, way), daemon=True)
        for number, way in enumerate(ways)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    connection.close()


def side_by_side(ways: list, rule: outbound.Rule, deadline: Deadline) -> dict:
    """Sends every way at once in a child process; returns {(way, alert): Outcome} for
    what came back by the deadline (the rest was not delivered; (way, BROKE): why a way
    broke off). The child is ended by then, whatever it was doing."""
    outcomes: dict[tuple[int, int], Outcome] = {}
    if not ways:
        return outcomes
    context = processes()
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(
        target=run, args=(ways, rule, deadline.ends, sending), name="alert-sender", daemon=True
    )
    child.start()
    sending.close()
    try:
        while deadline.left() > 0 and receiving.poll(deadline.left()):
            try:
                number, alert, ok, said, detail = receiving.recv()
            except EOFError:  # the child has ended: everything came back
                break
            # alert None: the way broke off (a bug); what it did not report failed
            outcomes[number, BROKE if alert is None else alert] = Outcome(ok, said, detail)
    finally:
        if child.is_alive():
            child.kill()
        child.join(REAP_SECONDS)
        receiving.close()
    return outcomes
