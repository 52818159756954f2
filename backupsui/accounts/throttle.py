"""Sign-in throttling that holds against spraying: django-axes counts failures per username
and address (as before) and this handler also refuses an address whose failures across all
usernames reach BACKUPSUI_SIGNIN_ADDRESS_LIMIT within the lock-out time. Both are read from
the database (every worker and replica agrees), and a refused try is stopped by axes's
backend before any password is hashed."""

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

ADDRESS_LOCKED = "backupsui_address_locked"


def address_failures(address: str | None) -> int:
    if not address:
        return 0
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    total = AccessAttempt.objects.filter(ip_address=address, attempt_time__gte=since).aggregate(
        total=Sum("failures_since_start")
    )["total"]
    return total or 0


class AddressAwareHandler(AxesDatabaseHandler):
    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        address = getattr(request, "axes_ip_address", None)
        if address_failures(address) >= settings.BACKUPSUI_SIGNIN_ADDRESS_LIMIT:
            setattr(request, ADDRESS_LOCKED, True)
            return True
        return False
