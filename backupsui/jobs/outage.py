"""Riding out a database that refuses connections (a restart, a failover, a full disk): the
long-running processes (the workers, the scheduler) wait and try again, with back-off, and
carry on where they were once it answers."""

import logging
import time

from django.db import InterfaceError, OperationalError, connections

DATABASE_DOWN = (OperationalError, InterfaceError)
FIRST_WAIT = 1.0
LONGEST_WAIT = 15.0


class Outage:
    """Waits until the database answers again, each wait twice the last (1 s up to 15 s),
    one log line per attempt, and one when it answers."""

    def __init__(self, logger: logging.Logger, sleep=time.sleep):
        self.logger, self.sleep = logger, sleep

    def wait(self, error: BaseException) -> None:
        began = time.monotonic()
        pause = FIRST_WAIT
        self.logger.warning(
            "the database is unavailable (%s); trying again in %g s",
            _first_line(error),
            pause,
        )
        while True:
            connections.close_all()  # a broken connection is never used again
            self.sleep(pause)
            try:
                connections["default"].ensure_connection()
            except DATABASE_DOWN as again:
                pause = min(pause * 2, LONGEST_WAIT)
                self.logger.warning(
                    "the database is still unavailable after %.0f s (%s); trying again in %g s",
                    time.monotonic() - began,
                    _first_line(again),
                    pause,
                )
            else:
                self.logger.warning(
                    "the database answers again after %.0f s", time.monotonic() - began
                )
                return


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
