"""The HTTP session single sign-on connects with (the discovery document, the token, userinfo
and key endpoints it names): every address passes the outbound rule (backupsui.outbound),
except the issuer's own host and port, which the deployer chose in BACKUPSUI_OIDC_ISSUER (an
identity provider on the company's network is usual). A discovery document naming an
endpoint elsewhere (a provider compromised or misconfigured) is held to the rule like a
webhook: a loopback, private or metadata address, or a port outside
BACKUPSUI_OUTBOUND_PORTS, is refused before anything is sent."""

import functools
from urllib.parse import urlsplit

import requests
from django.conf import settings

from backupsui import outbound


class EndpointRefused(requests.exceptions.ConnectionError):
    """An endpoint the outbound rule refuses (allauth treats it as a provider that failed)."""


def _where(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return (parts.hostname or "").lower(), parts.port or default


def issuers() -> set[tuple[str, int | None]]:
    """The hosts and ports of the configured providers' issuers."""
    found = set()
    for provider in settings.SOCIALACCOUNT_PROVIDERS.values():
        for app in provider.get("APPS", []):
            url = (app.get("settings") or {}).get("server_url")
            if url:
                found.add(_where(url))
    return found


def checked_request(request, timeout, method, url, *args, **kwargs):
    """`request` once the URL's host passes the rule (or is the issuer's own)."""
    host, port = _where(url)
    if (host, port) not in issuers():
        try:
            outbound.check(host, port, outbound.rule())
        except outbound.Refused as refused:
            raise EndpointRefused(f"sign-on endpoint {host}:{port} refused: {refused}") from None
    kwargs.setdefault("timeout", timeout)
    kwargs.setdefault("allow_redirects", False)
    return request(method, url, *args, **kwargs)


def session(timeout: float) -> requests.Session:
    made = requests.Session()
    made.request = functools.partial(checked_request, made.request, timeout)
    return made
