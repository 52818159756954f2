"""Removes what the panel no longer needs, for cron or a systemd timer (docs/deploy.md):
expired sessions, old sign-in records, used form keys past their lifetime, servers not seen
for 30 days, finished task results. The audit trail is never pruned: it is append-only."""

import argparse
from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from backupsui.backups.models import FormKey, SeenServer


def prunable(now, *, sign_in_days: int, result_days: int) -> dict:
    """What would go, by name: each a query set of rows to delete."""
    sign_ins_before = now - timedelta(days=sign_in_days)
    return {
        "expired sessions": Session.objects.filter(expire_date__lt=now),
        # Failures past the lock-out's cool-off no longer lock anyone out.
        "expired sign-in failures": AccessAttempt.objects.filter(
            attempt_time__lt=now - settings.AXES_COOLOFF_TIME
        ),
        "old sign-in records": AccessLog.objects.filter(attempt_time__lt=sign_ins_before),
        "old sign-in failure records": AccessFailureLog.objects.filter(
            attempt_time__lt=sign_ins_before
        ),
        "used form keys past their lifetime": FormKey.objects.filter(
            created_at__lt=now - FormKey.LIFETIME
        ),
        "servers not seen for 30 days": SeenServer.objects.filter(
            last_seen_at__lt=now - SeenServer.FORGET_AFTER
        ),
        "finished task results": DBTaskResult.objects.finished().filter(
            finished_at__lt=now - timedelta(days=result_days)
        ),
    }


def days(value: str) -> int:
    """A number of days to keep, at least one (0 or less would remove everything, the
    newest included)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a whole number of days, not {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"at least 1 day, not {number}")
    return number


class Command(BaseCommand):
    help = (
        "Removes expired sessions, old sign-in records, used form keys past their lifetime, "
        "servers not seen for 30 days and finished task results. Keeps the audit trail. "
        "For cron or a systemd timer, daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sign-in-days",
            type=days,
            default=30,
            help="keep sign-in records (django-axes' access logs) this many days (default 30)",
        )
        parser.add_argument(
            "--result-days",
            type=days,
            default=7,
            help="keep finished task results this many days (default 7)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would go, remove nothing"
        )

    def handle(self, *args, sign_in_days, result_days, dry_run, **options):
        kinds = prunable(timezone.now(), sign_in_days=sign_in_days, result_days=result_days)
        for kind, rows in kinds.items():
            if dry_run:
                self.stdout.write(f"{kind}: {rows.count()} would be removed")
                continue
            with transaction.atomic():
                removed, _by_model = rows.delete()
            self.stdout.write(f"{kind}: {removed} removed")
