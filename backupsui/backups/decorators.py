"""The decorator for views that act with the person's stored token."""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.urls import reverse
from django.utils.translation import gettext as _

from backupsui.http import redirect_for

from .panel import NoToken, panel_for


def panel_required(view):
    """Gives the view `request.panel`, or sends a person with no usable token to the token
    page (coming back afterwards to where they were)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            request.panel = panel_for(request.user)
        except NoToken:
            messages.info(request, _("Store your API token first: the panel acts with it."))
            url = reverse("accounts:token") + "?" + urlencode({"next": request.get_full_path()})
            return redirect_for(request, url)
        return view(request, *args, **kwargs)

    return wrapped
