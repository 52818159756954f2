"""The request type every view receives, the whole page or only its results for htmx, a
redirect that also works for htmx, the client's address (and request id) behind a trusted
proxy, HEAD answered without a body, and the refusal of uploads."""

import ipaddress
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails
from python_ipware.modern.parsers import split_proxy_chain


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    request_id: str


# Rows on one page of every paged table.
PAGE_SIZE = 50


def page_or_part(request: HtmxHttpRequest, template: str, target: str, context: dict):
    """The whole page, or only its `results` partial when htmx swaps `target`; a page that
    shows an upstream failure answers 502 (a fragment 200, or htmx would not swap it)."""
    partial = request.htmx and not request.htmx.boosted and request.htmx.target == target
    context["partial"] = partial  # a heading may come along, out of band
    status = 502 if "error" in context and not request.htmx else 200
    return render(request, f"{template}#results" if partial else template, context, status=status)


def redirect_for(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect the browser follows whole: htmx is told to navigate, not to swap."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


class HeadMiddleware:
    """A HEAD is answered as its GET would be, without the body (keeping its length). Django
    leaves dropping it to the server, and gunicorn warns about every body it drops: one log
    line per load balancer probe."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "HEAD":
            if response.streaming:
                response.streaming_content = []
            else:
                length = response.get("Content-Length", str(len(response.content)))
                response.content = b""
                response["Content-Length"] = length
        return response


class RefuseUploadsMiddleware:
    """The panel takes no uploads: a multipart body is refused before anything parses it
    (Django would write it to a temporary file first, even for a request refused later); so
    is a form in another character set than UTF-8."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.content_type.startswith("multipart/"):
            return HttpResponse(
                "The panel takes no uploads.\n", status=415, content_type="text/plain"
            )
        charset = (request.content_params.get("charset") or "utf-8").lower()
        if request.method == "POST" and charset not in ("utf-8", "utf8"):
            # Django would fail decoding it, even in the page that says so.
            return HttpResponse("Forms are sent in UTF-8.\n", status=415, content_type="text/plain")
        return self.get_response(request)


# A request id as proxies make them (nginx's $request_id: 32 hex digits; a UUID), and as the
# audit trail keeps them (64 characters at most).
REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


class TrustedProxyMiddleware:
    """Who is asking, behind the TLS proxy. Only when the connecting address is one of
    BACKUPSUI_TRUSTED_PROXIES does X-Forwarded-For count (its rightmost address that is not
    a trusted proxy is the client's), X-Forwarded-Proto: https make the request secure and
    X-Request-ID (well formed) become the request's id. Anyone else's are dropped.
    REMOTE_ADDR then holds the client's address for everything that reads it: the sign-in
    lock-out, the audit trail, the access log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        forwarded_for = meta.pop("HTTP_X_FORWARDED_FOR", "")
        forwarded_proto = meta.pop("HTTP_X_FORWARDED_PROTO", "")
        request_id = meta.pop("HTTP_X_REQUEST_ID", "").strip()
        peer = meta.get("REMOTE_ADDR", "")
        if settings.BACKUPSUI_TRUSTED_PROXIES and self._trusted(peer):
            meta["REMOTE_ADDR"] = self._client(forwarded_for) or peer
            if forwarded_proto.strip().lower() == "https":
                meta["HTTP_X_FORWARDED_PROTO"] = "https"
            if REQUEST_ID.fullmatch(request_id):
                meta["HTTP_X_REQUEST_ID"] = request_id
        return self.get_response(request)

    def _trusted(self, address) -> bool:
        try:
            address = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(
            address.version == net.version and address in net
            for net in settings.BACKUPSUI_TRUSTED_PROXIES
        )

    def _client(self, forwarded_for: str) -> str | None:
        chain = (split_proxy_chain(forwarded_for, False) if forwarded_for else None) or []
        for address in reversed(chain):
            if not self._trusted(address):
                return str(address)
        return str(chain[0]) if chain else None
