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


def may_try_password(username: str) -> bool:
    """Whether a password for this username is worth checking: always with local sign-in on;
    with it off, only a superuser's (names matched without case, as allauth's sign-in does)."""
    if settings.BACKUPSUI_LOCAL_SIGNIN:
        return True
    from django.contrib.auth import get_user_model

    User = get_user_model()
    named = {f"{User.USERNAME_FIELD}__iexact": username}
    return User._default_manager.filter(is_superuser=True, **named).exists()


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
