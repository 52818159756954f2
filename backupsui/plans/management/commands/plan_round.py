"""One round of the plans' schedules: queues a run for each due slot (and for each run a dead
worker left unfinished). Harmless to run from several places at once."""

from django.core.management.base import BaseCommand

from backupsui.plans.schedule import enqueue_due_runs


class Command(BaseCommand):
    help = "Queue the backup plans' due runs (one round; a scheduler calls it every minute)."

    def handle(self, *args, **options):
        queued = enqueue_due_runs()
        self.stdout.write(f"{queued} run(s) queued")
