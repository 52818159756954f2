import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.urls import reverse
from django.utils.translation import gettext as _

from backupsui.http import redirect_for

STARTED = "backupsui_started"
SEEN = "backupsui_seen"
SEEN_WRITE_EVERY = 60  # seconds: note activity without writing the session on every request
PASSIVE_PATHS = ("/backups/poll/",)  # a polling tab is not a person at work


class SessionTimeoutMiddleware:
    """Ends a session after SESSION_IDLE_SECONDS without a request, and SESSION_COOKIE_AGE
    after signing in, whichever comes first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.setdefault(STARTED, now)
            seen = request.session.setdefault(SEEN, now)
            if (
                now - seen > settings.SESSION_IDLE_SECONDS
                or now - started > settings.SESSION_COOKIE_AGE
            ):
                logout(request)
                messages.info(request, _("Your session ended; sign in again."))
                url = reverse("login") + "?" + urlencode({"next": request.path})
                return redirect_for(request, url)
            if now - seen > SEEN_WRITE_EVERY and not request.path.startswith(PASSIVE_PATHS):
                request.session[SEEN] = now
        return self.get_response(request)
