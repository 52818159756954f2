from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from .models import Action, Outcome
from .recorder import note


@receiver(user_logged_in)
def on_sign_in(sender, request, user, **kwargs):
    if request is not None:
        note(request, Action.SIGN_IN, actor=user, actor_username=user.get_username())


@receiver(user_login_failed)
def on_sign_in_failed(sender, credentials, request=None, **kwargs):
    if request is not None:
        username = str(credentials.get("username", ""))[:150]
        note(request, Action.SIGN_IN_FAILED, Outcome.REFUSED, actor_username=username)


@receiver(user_locked_out)
def on_locked_out(sender, request, username, ip_address, **kwargs):
    if request is not None:
        note(
            request,
            Action.SIGN_IN_FAILED,
            Outcome.REFUSED,
            actor_username=str(username or "")[:150],
            message="Locked out after repeated failures.",
        )
