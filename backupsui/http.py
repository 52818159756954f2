"""The request type the views receive: Django's, with django-htmx's details and our panel."""

from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from backupsui.backups.panel import Panel


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    request_id: str


class PanelRequest(HtmxHttpRequest):
    panel: "Panel"


def redirect_for(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect the browser follows whole: htmx is told to navigate, not to swap."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)
