"""Sessions that end on time, pages that never outlive a sign-in in a cache, and htmx
requests that send the whole page to sign-in (back to the page the person was on)."""

import time
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from .models import Preference

STARTED = "backupsui_started"
SEEN = "backupsui_seen"
SEEN_WRITE_EVERY = 60  # seconds: note activity without writing the session on every request
# Fragments that pages poll by themselves: not a person at work, and never a page to come
# back to after signing in.
FRAGMENT_PATHS = ("/backups/poll/",)


def is_fragment(path: str) -> bool:
    return path.startswith(FRAGMENT_PATHS)


class SessionTimeoutMiddleware:
    """Ends a session after BACKUPSUI_SESSION_IDLE_SECONDS without a request, and SESSION_COOKIE_AGE
    after signing in, whichever comes first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.setdefault(STARTED, now)
            seen = request.session.setdefault(SEEN, now)
            if (
                now - seen > settings.BACKUPSUI_SESSION_IDLE_SECONDS
                or now - started > settings.SESSION_COOKIE_AGE
            ):
                logout(request)
                if request.method != "POST":  # a form sent says so itself (SignInAgain)
                    messages.info(request, _("Your session ended; sign in again."))
                return redirect_to_login(request.get_full_path())
            # A page polling by itself (X-Poll) is not a person at work.
            passive = is_fragment(request.path) or request.headers.get("X-Poll") == "passive"
            if now - seen > SEEN_WRITE_EVERY and not passive:
                request.session[SEEN] = now
        response = self.get_response(request)
        if request.user.is_authenticated:
            # What a signed-in person sees stays out of every cache, the browser's included.
            add_never_cache_headers(response)
        return response


class SignInAgainMiddleware:
    """A request that must sign in first (no session, or one that just ended): a form sent
    then says it was not carried out; and an htmx request, which would swap the sign-in page
    into a table, sends the whole page to sign-in instead, with `next` set to the page the
    person was on, never to the fragment."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        login = resolve_url(settings.LOGIN_URL)
        if response.status_code != 302:
            return response
        sent_to = urlsplit(response.get("Location", ""))
        # Only a request turned away for want of a session: its own address is `next`
        # (a sign-out, or the language chosen on the sign-in page, also lead there).
        if sent_to.path != login or parse_qs(sent_to.query).get("next") != [
            request.get_full_path()
        ]:
            return response
        if request.method == "POST":
            messages.warning(
                request, _("You were signed out, so what you sent was not done. Sign in again.")
            )
            # Back to the page the form was on (a confirmation with its query string).
            page = _page_before(request)
            if page:
                response["Location"] = f"{login}?{urlencode({'next': page})}"
        if not getattr(request, "htmx", False):
            return response
        page = request.htmx.current_url_abs_path or ""
        if not page or is_fragment(page):
            page = resolve_url(settings.LOGIN_REDIRECT_URL)
        return HttpResponseClientRedirect(f"{login}?{urlencode({'next': page})}")


def _page_before(request) -> str | None:
    """The page of this site a form was sent from (its Referer), as a path and query."""
    referer = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(
        referer, {request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(referer)
    if is_fragment(parts.path) or parts.path == resolve_url(settings.LOGIN_URL):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


class PersonLanguageMiddleware:
    """A signed-in person's language is the one stored on their account (chosen with the
    switcher on any browser); until they choose, the browser's cookie or Accept-Language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            chosen = (
                Preference.objects.filter(user=request.user)
                .values_list("language", flat=True)
                .first()
            )
            if chosen and chosen in dict(settings.LANGUAGES):
                translation.activate(chosen)
                request.LANGUAGE_CODE = chosen
        return self.get_response(request)
