"""Sign-in throttling that holds against spraying: django-axes counts failures per username
and address (as before) and this handler also refuses an address whose failures across all
usernames reach BACKUPSUI_SIGNIN_ADDRESS_LIMIT within the lock-out time. Both are read from
the database (every worker and replica agrees), and a refused try is stopped by axes's
backend before any password is hashed."""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from backupsui.audit.sign_ins import ADDRESS_LOCKED


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

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        """A try refused for its address: locked out (the lock-out page), nothing counted (a
        refused try does not prolong the lock), one signal for the audit trail."""
        if request is not None and getattr(request, ADDRESS_LOCKED, False):
            request.axes_locked_out = True
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )
            return
        super().user_login_failed(sender, credentials, request, **kwargs)
