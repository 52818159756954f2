"""`manage.py worker`: django-tasks-db's `db_worker`, the same options, riding out a
database that refuses connections: it waits and tries again with back-off (1 s up to 15 s,
one log line per attempt) instead of exiting, then carries on with the waiting tasks. A task
cut off by the outage is left running; the housekeeping round marks it failed once its lease
has run out (and a restore job's next look was queued before the step began).

It starts only on a database migrated for this release (else: run migrate first), and a task
an earlier release queued that this release does not have (0.2.0's `tick`, say) is settled
with one log line, not run into an ImportError."""

import logging

from django.core.exceptions import SuspiciousOperation
from django.core.management.base import CommandError
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from backupsui import startup
from backupsui.jobs.outage import DATABASE_DOWN, Outage
from backupsui.jobs.tasks import RETIRED, NoSuchTask
from backupsui.upstream.ledger import ledger

logger = logging.getLogger("django_tasks_db")


class PatientWorker(db_worker.Worker):
    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            db_task_result.task  # noqa: B018 - imports the task: does this release have it?
        except (ImportError, SuspiciousOperation):
            self._settle_unknown(db_task_result)
            self._run_tasks += 1
            return
        super().run_task(db_task_result)

    def _settle_unknown(self, result: DBTaskResult) -> None:
        """A task this release does not have: one that was retired is done (its work has
        another home now), any other has failed; either way, one log line."""
        retired = RETIRED.get(result.task_path)
        if retired:
            logger.info("task %s (%s) skipped: %s", result.id, result.task_path, retired)
            outcome = {"status": TaskResultStatus.SUCCESSFUL, "return_value": f"skipped: {retired}"}
        else:
            logger.warning(
                "task %s (%s) failed: this release has no such task", result.id, result.task_path
            )
            outcome = {
                "status": TaskResultStatus.FAILED,
                "exception_class_path": f"{NoSuchTask.__module__}.{NoSuchTask.__qualname__}",
                "traceback": "This release has no such task (queued by an earlier release?).",
            }
        DBTaskResult.objects.filter(pk=result.pk).update(finished_at=timezone.now(), **outcome)

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
        try:
            startup.start_worker(lives=not options["batch"])
        except startup.NotReady as why:
            raise CommandError(str(why)) from None
        # db_worker's handle builds its Worker by name: lend it ours for this call, so every
        # option keeps db_worker's meaning without copying its code.
        real = db_worker.Worker
        db_worker.Worker = PatientWorker
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = real
            ledger.flush()  # what this run counted (a --batch run has no thread to do it)
