import time
from datetime import UTC, datetime
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language

from backupsui.audit.actors import Actor
from backupsui.audit.models import Action
from backupsui.audit.recorder import note
from backupsui.http import HtmxHttpRequest
from backupsui.upstream import Unauthorized, UpstreamError

from . import code_limits, tokens
from .forms import TokenForm
from .models import Preference


def audited_reauthentication(view):
    """allauth's confirm-again pages, with each confirmation put on record."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        before = len(reconfirmations(request))
        response = view(request, *args, **kwargs)
        after = reconfirmations(request)
        if request.user.is_authenticated and len(after) > before:
            note(
                Actor.from_request(request),
                Action.REAUTHENTICATED,
                message=f"Confirmed again with {after[-1].get('method', 'unknown')}.",
            )
        return response

    return wrapped


def reconfirmations(request) -> list[dict]:
    from allauth.account.authentication import get_authentication_records

    if not request.user.is_authenticated:
        return []
    records = get_authentication_records(request, request.user)
    return [record for record in records if record.get("reauthenticated")]


def _next_url(request: HtmxHttpRequest) -> str | None:
    """Where to go on to: a path of this site, or nothing."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@require_http_methods(["GET", "POST"])
@login_required
def token(request: HtmxHttpRequest):
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if tokens.too_many_refused(request.user):
            form.add_error(
                None,
                _(
                    "Too many tokens were refused in the last minutes; nothing was checked. "
                    "Wait a few minutes and try again."
                ),
            )
            status = 429
        elif form.is_valid():
            try:
                tokens.verify_and_save(
                    Actor.from_request(request), request.user, form.cleaned_data["token"]
                )
            except Unauthorized:
                form.add_error(
                    "token",
                    _(
                        "The backups service refused this token, so it was "
                        "not saved. Check it and paste it again."
                    ),
                )
                status = 400
            except UpstreamError as error:
                form.add_error(
                    None,
                    _("The token could not be checked, so it was not saved: %(reason)s")
                    % {"reason": error.message},
                )
                status = 502
            else:
                messages.success(request, _("Your API token was checked and saved."))
                return HttpResponseRedirect(_next_url(request) or reverse("backups:list"))
        else:
            status = 400
    stored = tokens.stored_token(request.user)
    context = {
        "form": form,
        "stored": stored,
        "unreadable": stored is not None and not tokens.readable(stored),
        "next": _next_url(request) or "",
    }
    return render(request, "accounts/token.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def token_remove(request: HtmxHttpRequest):
    """GET asks for confirmation; POST removes the token."""
    stored = tokens.stored_token(request.user)
    if request.method == "GET":
        if stored is None:
            return redirect("accounts:token")
        return render(request, "accounts/token_remove.html", {"stored": stored})
    if tokens.remove(Actor.from_request(request), request.user):
        messages.success(request, _("Your API token was removed from the panel."))
    return redirect("accounts:token")


@require_POST
def language(request: HtmxHttpRequest):
    """The language switcher, on every page (sign-in included): Django's `set_language`, a
    POST that works without JavaScript, sent on only to a page of the panel's own (see
    `_next_url`); a signed-in person's choice is also stored on their account."""
    chosen = request.POST.get("language", "")
    form = request.POST.copy()
    form["next"] = _next_url(request) or resolve_url(settings.LOGIN_REDIRECT_URL)
    request.POST = form
    response = set_language(request)
    if chosen in dict(settings.LANGUAGES) and request.user.is_authenticated:
        Preference.objects.update_or_create(user=request.user, defaults={"language": chosen})
    return response


def locked_out(request, original_response=None, credentials=None):
    """django-axes's answer to a locked sign-in: a plain page, no password checked."""
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return render(request, "accounts/locked_out.html", {"lockout_minutes": minutes}, status=429)


def codes_locked_out(request, lock, reconfirming: bool):
    """The answer to a second-factor code tried while codes are locked (code_limits): when
    they unlock, in the panel's time zone."""
    until = datetime.fromtimestamp(lock.until, tz=UTC)
    shown = dateformat.format(timezone.localtime(until), "Y-m-d H:i T")
    when = format_html('<time datetime="{}">{}</time>', until.isoformat(), shown)
    context = {
        "by_address": lock.by == code_limits.ADDRESS,
        "when": when,
        "reconfirming": reconfirming,
    }
    page = render(request, "accounts/codes_locked_out.html", context, status=429)
    page["Retry-After"] = str(lock.seconds_left(time.time()))
    return page


def sso_sign_up(request):
    """Where allauth sends a sign-on it could not turn into an account by itself: nobody
    here picks a name or an address for themselves, so the attempt is dropped and the page
    says so (never allauth's sign-up form, which the panel's fields do not fit). Without
    such an attempt, to sign-in, as allauth's own page does."""
    from allauth.socialaccount.internal.flows import signup

    if signup.get_pending_signup(request) is None:
        return redirect("login")
    signup.clear_pending_signup(request)
    return render(request, "socialaccount/signup.html", status=403)
