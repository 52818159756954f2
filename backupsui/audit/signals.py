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

LOCKED_OUT = "Locked out after repeated failures."


@receiver(user_logged_in)
def on_sign_in(sender, request, user, **kwargs):
    if request is not None:
        note(Actor.from_request(request, user), Action.SIGN_IN)


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
    already = AuditEvent.objects.filter(
        action=Action.SIGN_IN_FAILED,
        actor_username=username,
        remote_addr=request.META.get("REMOTE_ADDR") or None,
        message=LOCKED_OUT,
        created_at__gte=window,
    ).exists()
    if not already:
        note(
            Actor.named(username, request),
            Action.SIGN_IN_FAILED,
            Outcome.REFUSED,
            message=LOCKED_OUT,
        )
