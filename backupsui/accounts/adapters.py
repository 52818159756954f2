"""The panel's rules for django-allauth: nobody signs up by themselves, sign-in never sends
anyone to a polled fragment or back to sign-in, someone with a second factor confirms again
with it, and single sign-on makes or updates an account only from the roles its groups give."""

from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import Group
from django.shortcuts import render, resolve_url
from django.utils.translation import gettext

from . import identity, sign_on, sign_on_session
from .middleware import is_fragment


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def is_safe_url(self, url) -> bool:
        if not url or not url.startswith("/") or url.startswith("//"):
            return False
        path = urlsplit(url).path
        if is_fragment(path) or path == resolve_url(settings.LOGIN_URL):
            return False
        return super().is_safe_url(url)

    def get_reauthentication_methods(self, user) -> list[dict]:
        """Confirming again is as strong as signing in: someone with a second factor confirms
        with it (a code or a passkey), never with the password alone; the password only when
        there is none. allauth's password page sends such a person on to the first of these
        before it reads any password."""
        methods = super().get_reauthentication_methods(user)
        factors = [method for method in methods if method["id"].startswith("mfa_")]
        return factors or methods

    def pre_login(self, request, user, **kwargs):
        sso = bool((kwargs.get("signal_kwargs") or {}).get("sociallogin"))
        if not sso and not identity.local_sign_in_allowed(user):
            page = render(
                request, "account/local_off.html", {"reason": identity.LOCAL_OFF}, status=403
            )
            raise ImmediateHttpResponse(page)
        return super().pre_login(request, user, **kwargs)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """Roles from the provider's groups claim (BACKUPSUI_OIDC_ROLES), at every sign-in."""

    def roles(self, sociallogin) -> set[str]:
        data = sociallogin.account.extra_data or {}
        claim = settings.BACKUPSUI_OIDC_GROUPS_CLAIM
        groups = []
        for part in ("id_token", "userinfo"):
            found = (data.get(part) or {}).get(claim)
            if found:
                groups = found
        return identity.roles_for_groups(groups)

    def get_requests_session(self):
        """Every endpoint but the issuer's own passes the outbound rule."""
        from allauth.socialaccount import app_settings

        return sign_on_session.session(app_settings.REQUESTS_TIMEOUT)

    def refuse(self, request):
        raise ImmediateHttpResponse(render(request, "socialaccount/no_role.html", status=403))

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return bool(self.roles(sociallogin))

    def pre_social_login(self, request, sociallogin):
        roles = self.roles(sociallogin)
        if not roles:
            if sociallogin.is_existing:
                apply_roles(request, sociallogin, set())
            self.refuse(request)
        if sociallogin.is_existing:
            apply_roles(request, sociallogin, roles)

    def populate_user(self, request, sociallogin, data):
        """The account a first sign-on makes (sign_on): a free `sso-` name, and the
        provider's e-mail address only when it is verified there and nobody here has it (so
        allauth never finds a conflict, never asks for a sign-up form, never joins two
        accounts)."""
        user = super().populate_user(request, sociallogin, data)
        user.username = sign_on.username_for(data.get("username"), sociallogin.account.uid)
        kept = sign_on.email_to_keep(sociallogin, user.email)
        if kept != user.email:
            user.email = ""
            sociallogin.email_addresses = []
            sociallogin.backupsui_email_left_out = True
        return user

    def save_user(self, request, sociallogin, form=None):
        user = sociallogin.user
        if not user.username.startswith(sign_on.PREFIX):  # never a name without it
            user.username = sign_on.username_for(user.username, sociallogin.account.uid)
        user = super().save_user(request, sociallogin, form)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        apply_roles(request, sociallogin, self.roles(sociallogin))
        if getattr(sociallogin, "backupsui_email_left_out", False):
            messages.info(
                request,
                gettext(
                    "Your account here was made without an e-mail address: the one your "
                    "sign-on provider gave is not marked as verified there, or another "
                    "account here already has it. Ask an administrator to set one if you "
                    "want alerts by e-mail."
                ),
            )
        return user


def apply_roles(request, sociallogin, roles: set[str]) -> None:
    """Makes the person's roles those the provider's groups give, and puts a change on
    record."""
    from backupsui.audit.actors import Actor
    from backupsui.audit.models import Action
    from backupsui.audit.recorder import note

    user = sociallogin.user
    known = set(
        Group.objects.filter(name__in=settings.BACKUPSUI_OIDC_ROLES.values()).values_list(
            "name", flat=True
        )
    )
    had = set(user.groups.filter(name__in=known).values_list("name", flat=True))
    wanted = roles & known
    if had == wanted:
        return
    user.groups.remove(*Group.objects.filter(name__in=had - wanted))
    user.groups.add(*Group.objects.filter(name__in=wanted - had))
    note(
        Actor.named(user.get_username(), request),
        Action.ROLES_CHANGED,
        message=(
            f"Roles set by {sociallogin.account.provider} "
            f"(subject {sociallogin.account.uid}): "
            f"{', '.join(sorted(wanted)) or 'none'} (was {', '.join(sorted(had)) or 'none'})."
        ),
    )


class MFAAdapter(DefaultMFAAdapter):
    def generate_authenticator_name(self, user, type) -> str:
        number = Authenticator.objects.filter(user_id=user.pk, type=type).count() + 1
        return gettext("Passkey %(number)s") % {"number": number}
