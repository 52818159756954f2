"""`manage.py worker`: django-tasks-db's `db_worker`, the same options, riding out a
database that refuses connections: it waits and tries again with back-off (1 s up to 15 s,
one log line per attempt) instead of exiting, then carries on with the waiting tasks. A task
cut off by the outage is left running; the housekeeping round marks it failed once its lease
has run out (and a restore job's next look was queued before the step began)."""

import logging

from django_tasks_db.management.commands import db_worker

from backupsui.jobs.outage import DATABASE_DOWN, Outage

logger = logging.getLogger("django_tasks_db")


class PatientWorker(db_worker.Worker):
    def run(self) -> None:
        outage = Outage(logger)
        while self.running:
            try:
                super().run()
                return  # --batch or --max-tasks: done
            except DATABASE_DOWN as error:
                self.startup_delay = False
                outage.wait(error)


class Command(db_worker.Command):
    help = "Runs a background worker (db_worker) that outlasts database outages."

    def handle(self, *args, **options) -> None:
        # db_worker's handle builds its Worker by name: lend it ours for this call, so every
        # option keeps db_worker's meaning without copying its code.
        real = db_worker.Worker
        db_worker.Worker = PatientWorker
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = real
