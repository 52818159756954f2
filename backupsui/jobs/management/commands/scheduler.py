"""`manage.py scheduler`: queues the periodic rounds when they are due (see
backupsui/jobs/scheduler.py). Run one or several; several at once queue each round once.
It rides out a database that refuses connections and stops on SIGTERM or Ctrl-C; it starts
only on a database migrated for this release (else: run migrate first)."""

import logging
import signal
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from backupsui import startup
from backupsui.jobs import scheduler
from backupsui.jobs.outage import DATABASE_DOWN, Outage

logger = logging.getLogger("backupsui.scheduler")


def _stop(signum, frame):
    sys.exit(0)


class Command(BaseCommand):
    help = "Queues the periodic rounds (alerts, housekeeping) when they are due."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds between two looks at what is due (default: 1)",
        )

    def handle(self, *args, interval: float, **options):
        try:
            startup.start_worker()
        except startup.NotReady as why:
            raise CommandError(str(why)) from None
        signal.signal(signal.SIGTERM, _stop)
        outage = Outage(logger)
        logger.info(scheduler.start_line())
        try:
            while True:
                close_old_connections()
                try:
                    for name, slot in scheduler.run_due():
                        logger.info("scheduler: queued %s for %s", name, slot.isoformat())
                except DATABASE_DOWN as error:
                    outage.wait(error)
                    continue
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
