"""Who must do what to sign in and to change things: local sign-in on or off, the roles that
need a second factor, how recently a person confirmed who they are, and the roles a single
sign-on provider's groups give."""

import time

from django.conf import settings
from django.utils.translation import gettext_lazy as _

LOCAL_OFF = _(
    "Signing in with a password is switched off here: use single sign-on. "
    "Only administrators keep a password."
)
# When the person last proved who they are in this session (signing in or confirming again).
CONFIRMED_AT = "backupsui_confirmed_at"


def local_sign_in_allowed(user) -> bool:
    return settings.BACKUPSUI_LOCAL_SIGNIN or user.is_superuser


def has_second_factor(user) -> bool:
    from allauth.mfa.utils import is_mfa_enabled

    return is_mfa_enabled(user)


def must_add_second_factor(user) -> bool:
    """A person in one of BACKUPSUI_MFA_REQUIRED's roles without a second factor."""
    required = set(settings.BACKUPSUI_MFA_REQUIRED)
    if not required or not user.is_authenticated:
        return False
    in_role = user.groups.filter(name__in=required).exists()
    return in_role and not has_second_factor(user)


def confirmed_at(request) -> float:
    """The latest of signing in and every confirmation since (allauth records each one in the
    session, password, second factor or single sign-on alike)."""
    from allauth.account.authentication import get_authentication_records

    times = [record.get("at", 0) for record in get_authentication_records(request, request.user)]
    times.append(request.session.get(CONFIRMED_AT, 0))
    return max(times)


def confirmed_recently(request) -> bool:
    return time.time() - confirmed_at(request) < settings.BACKUPSUI_REAUTH_MINUTES * 60


def note_signed_in(request) -> None:
    request.session[CONFIRMED_AT] = time.time()


def roles_for_groups(groups) -> set[str]:
    """The panel's roles that a provider's groups map to (BACKUPSUI_OIDC_ROLES)."""
    if isinstance(groups, str):
        groups = [groups]
    mapping = settings.BACKUPSUI_OIDC_ROLES
    return {mapping[group] for group in groups or [] if isinstance(group, str) and group in mapping}


ADDRESS_LOCKED_OUT = "Address locked out after repeated failures across usernames."


def how_signed_in(request, user) -> str:
    """How the sign-in was proved, for the audit trail: the provider and subject of a single
    sign-on, a passkey, or a password with or without a second factor."""
    from allauth.account.authentication import get_authentication_records

    records = get_authentication_records(request, user)
    methods = [record.get("method") for record in records]
    for record in records:
        if record.get("method") == "socialaccount":
            return (
                f"Single sign-on through {record.get('provider', '?')}, "
                f"subject {record.get('uid', '?')}."
            )
    if "mfa" in methods:
        used = [r for r in records if r.get("method") == "mfa"][-1]
        if used.get("passwordless"):
            return "Signed in with a passkey."
        return f"Password and second factor ({used.get('type', '?')})."
    if "password" in methods:
        return "Password."
    return ""
