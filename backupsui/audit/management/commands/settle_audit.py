from django.core.management.base import BaseCommand

from backupsui.audit.settle import settle_interrupted


class Command(BaseCommand):
    help = (
        "Marks audit events still pending after twice the API's time limit as unknown "
        "(interrupted). The periodic round does it too; this is for doing it at once."
    )

    def handle(self, *args, **options):
        count = settle_interrupted()
        self.stdout.write(f"Settled {count} interrupted event(s).")
