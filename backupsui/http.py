"""The request type every view receives, a redirect that also works for htmx, and the
refusal of uploads."""

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


class RefuseUploadsMiddleware:
    """The panel takes no uploads: a multipart body is refused before anything parses it
    (Django would write it to a temporary file first, even for a request refused later)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.content_type.startswith("multipart/"):
            return HttpResponse(
                "The panel takes no uploads.\n", status=415, content_type="text/plain"
            )
        return self.get_response(request)
