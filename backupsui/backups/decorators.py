"""One decorator per constraint, for the views that need a permission or a stored token."""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from backupsui.audit.models import Action, Outcome
from backupsui.audit.recorder import note
from backupsui.converters import positive_id
from backupsui.http import redirect_for

from .panel import NoToken, panel_for


def permission_required_or_403(perm: str):
    """Refuses with a 403 page, and puts the refusal on record, when the user lacks `perm`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perm(perm):
                note(
                    request,
                    Action.PERMISSION_DENIED,
                    Outcome.FAILED,
                    message=f"{request.method} {request.path} needs {perm}"[:500],
                    server_id=positive_id(kwargs.get("server_id")),
                    backup_id=positive_id(kwargs.get("backup_id")),
                )
                return render(request, "403.html", status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def panel_required(view):
    """Gives the view `request.panel`, or sends a user with no usable token to the token page."""

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
