"""Two constraints on changes, each one decorator, and one middleware that applies them by
URL name so that every change view is covered without each view naming them:

- `second_factor_required`: a person in a BACKUPSUI_MFA_REQUIRED role without a second
  factor may read, but a change (any POST) sends them to add one, and then back to the page
  they were on.
- `reauthentication_required`: a change that overwrites or deletes (delete, restore) asks the
  person to confirm who they are when they last did longer than BACKUPSUI_REAUTH_MINUTES ago,
  and then carries out the very POST they sent (its one-time form key unclaimed until then).
  Pages whose forms carry a secret (the API token, alert targets) ask before the form is
  shown, so that no secret is kept in the session while the person confirms.
"""

import json
from functools import wraps
from urllib.parse import urlencode, urlsplit

from allauth.account.internal.flows.reauthentication import STATE_SESSION_KEY
from allauth.core.internal.httpkit import serialize_request
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from . import identity

# Where to come back to once a second factor is added.
COME_BACK = "backupsui_after_second_factor"

# Changes whose POST is kept and carried out after confirming again.
REPLAYED = {"backups:delete", "backups:restore", "jobs:bulk_delete"}
# Pages whose forms carry a secret: confirm before the form is shown.
CONFIRM_FIRST = {"accounts:token", "accounts:token_remove", "alerts:settings"}
# Adding and removing second factors themselves.
FACTOR_CHANGES = {
    "mfa_activate_totp",
    "mfa_deactivate_totp",
    "mfa_add_webauthn",
    "mfa_remove_webauthn",
    "mfa_generate_recovery_codes",
}
# Where any POST is a change that needs a second factor first (apps by namespace).
CHANGING_APPS = {"backups", "jobs", "alerts", "plans"}
CHANGING_VIEWS = {"accounts:token", "accounts:token_remove"}
# Stopping something is never held up: a restore job can always be cancelled.
NEVER_HELD = {"jobs:cancel"}


def _go(request, url: str):
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


def _page_they_were_on(request) -> str:
    """The page a change was sent from (same site only), else the change's own address."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, {request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.get_full_path()


def send_to_add_second_factor(request):
    request.session[COME_BACK] = _page_they_were_on(request)
    messages.warning(
        request,
        _(
            "Your role needs a second factor before you change anything, so nothing was "
            "changed. Add one here, then go back to what you were doing."
        ),
    )
    return _go(request, reverse("mfa_index"))


def second_factor_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST" and identity.must_add_second_factor(request.user):
            return send_to_add_second_factor(request)
        return view(request, *args, **kwargs)

    return wrapped


def _confirm_url(request) -> str | None:
    from allauth.account.adapter import get_adapter

    methods = get_adapter(request).get_reauthentication_methods(request.user)
    return methods[0]["url"] if methods else None


def _sign_on_again_url(request) -> str | None:
    """Someone with neither a password nor a second factor (single sign-on only) confirms by
    signing on at the provider again."""
    account = request.user.socialaccount_set.first()
    if account is None:
        return None
    return reverse("openid_connect_login", kwargs={"provider_id": account.provider})


def ask_to_confirm(request, *, replay: bool):
    confirm = _confirm_url(request)
    if confirm is None:
        replay = False
        confirm = _sign_on_again_url(request) or reverse("account_reauthenticate")
    target = request.get_full_path()
    if request.method == "POST" and replay:
        kept = json.loads(serialize_request(request))
        # Only what carrying out the change needs: no cookies, no htmx headers.
        kept["META"] = {
            key: value
            for key, value in kept["META"].items()
            if key != "HTTP_COOKIE" and not key.startswith("HTTP_HX_")
        }
        request.session[STATE_SESSION_KEY] = {"request": json.dumps(kept)}
    elif request.method == "POST":
        target = _page_they_were_on(request)
        request.session.pop(STATE_SESSION_KEY, None)
        messages.warning(
            request, _("Confirm who you are, then send the form again: nothing was changed.")
        )
    else:
        request.session.pop(STATE_SESSION_KEY, None)
    return _go(request, f"{confirm}?{urlencode({REDIRECT_FIELD_NAME: target})}")


def reauthentication_required(view=None, *, replay: bool = True):
    """Asks to confirm again before a change (POST; every request when `replay` is off)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            asks = request.method == "POST" or not replay
            if asks and request.user.is_authenticated and not identity.confirmed_recently(request):
                return ask_to_confirm(request, replay=replay)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator(view) if view else decorator


class ChangeGuardMiddleware:
    """Applies the two constraints above by URL name: every POST to a changing app needs a
    second factor (for the roles that must have one), and the views named in REPLAYED,
    CONFIRM_FIRST and FACTOR_CHANGES need a recent confirmation."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        namespace = match.namespace if match else ""
        changing = (namespace in CHANGING_APPS or name in CHANGING_VIEWS) and name not in NEVER_HELD
        if request.method == "POST" and changing and identity.must_add_second_factor(user):
            return send_to_add_second_factor(request)
        replayed = name in REPLAYED and request.method == "POST"
        confirm_first = name in CONFIRM_FIRST or name in FACTOR_CHANGES
        if (replayed or confirm_first) and not identity.confirmed_recently(request):
            return ask_to_confirm(request, replay=replayed)
        return None
