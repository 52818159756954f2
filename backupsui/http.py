"""The request type every view receives, and a redirect that also works for htmx."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    request_id: str


def redirect_for(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect the browser follows whole: htmx is told to navigate, not to swap."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)
