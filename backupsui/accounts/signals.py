"""Second factors and confirmations on the audit trail, from django-allauth's signals; and the
moment of signing in, which counts as the person's latest confirmation."""

from allauth.mfa.models import Authenticator
from allauth.mfa.signals import (
    authenticator_added,
    authenticator_removed,
    authenticator_reset,
    authenticator_used,
)
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from backupsui.audit.actors import Actor
from backupsui.audit.models import Action
from backupsui.audit.recorder import note

from . import identity

KINDS = {
    Authenticator.Type.TOTP: "authenticator app",
    Authenticator.Type.WEBAUTHN: "passkey",
    Authenticator.Type.RECOVERY_CODES: "recovery codes",
}


def described(authenticator) -> str:
    kind = KINDS.get(authenticator.type, authenticator.type)
    if authenticator.type == Authenticator.Type.WEBAUTHN:
        name = authenticator.wrap().name
        return f"{kind} {name!r}"
    return kind


def _note(request, user, action, message):
    if request is not None:
        note(Actor.from_request(request, user), action, message=message)


@receiver(user_logged_in)
def on_signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        identity.note_signed_in(request)


# Set on a request whose recovery codes are the person's first (made with their first
# factor): the message that follows says so, not that older codes stopped working.
FIRST_CODES = "backupsui_first_recovery_codes"


@receiver(authenticator_added)
def on_factor_added(sender, request, user, authenticator, **kwargs):
    _note(request, user, Action.SECOND_FACTOR_ADDED, f"Added: {described(authenticator)}.")
    if request is not None and authenticator.type == Authenticator.Type.RECOVERY_CODES:
        setattr(request, FIRST_CODES, True)


@receiver(authenticator_reset)
def on_codes_made_anew(sender, request, user, authenticator, **kwargs):
    _note(request, user, Action.SECOND_FACTOR_ADDED, "Recovery codes made anew.")


@receiver(authenticator_removed)
def on_factor_removed(sender, request, user, authenticator, **kwargs):
    _note(request, user, Action.SECOND_FACTOR_REMOVED, f"Removed: {described(authenticator)}.")


@receiver(authenticator_used)
def on_factor_used(sender, request, user, authenticator, **kwargs):
    if authenticator.type == Authenticator.Type.RECOVERY_CODES:
        left = len(authenticator.wrap().get_unused_codes())
        _note(request, user, Action.RECOVERY_CODE_USED, f"Recovery code used; {left} left.")
