"""Sign-ins on record: each success, each failure, and one event per lock-out (attempts
while locked are refused by django-axes before any password is checked, and add nothing)."""

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from .actors import Actor
from .models import Action, AuditEvent, Outcome
from .recorder import note
from .sign_ins import ADDRESS_LOCKED, ADDRESS_LOCKED_OUT, how_signed_in

LOCKED_OUT = "Locked out after repeated failures."


@receiver(user_logged_in)
def on_sign_in(sender, request, user, **kwargs):
    if request is not None:
        note(
            Actor.from_request(request, user),
            Action.SIGN_IN,
            message=how_signed_in(request, user),
        )


@receiver(user_login_failed)
def on_sign_in_failed(sender, credentials, request=None, **kwargs):
    if request is not None and not getattr(request, "axes_locked_out", False):
        username = str(credentials.get("username", ""))[:150]
        note(Actor.named(username, request), Action.SIGN_IN_FAILED, Outcome.REFUSED)


@receiver(user_locked_out)
def on_locked_out(sender, request, username, ip_address, **kwargs):
    if request is None:
        return
    username = str(username or "")[:150]
    window = timezone.now() - settings.AXES_COOLOFF_TIME
    # An address locked across usernames (spraying) is on record once, whatever it tries.
    by_address = getattr(request, ADDRESS_LOCKED, False)
    message = ADDRESS_LOCKED_OUT if by_address else LOCKED_OUT
    already = AuditEvent.objects.filter(
        action=Action.SIGN_IN_FAILED,
        remote_addr=request.META.get("REMOTE_ADDR") or None,
        message=message,
        created_at__gte=window,
    )
    if not by_address:
        already = already.filter(actor_username=username)
    if not already.exists():
        note(
            Actor.named(username, request),
            Action.SIGN_IN_FAILED,
            Outcome.REFUSED,
            message=message,
        )
