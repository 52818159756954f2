"""The webhook: a JSON POST signed with HMAC-SHA256 over "<timestamp>.<body>", so that the
receiver can tell it came from the panel and is not a replay. Its address passes the
outbound rule (backupsui/outbound.py) when it is saved and before each try, and the POST goes
to the very address that was checked. Without Django's settings: it runs in the sending
child process (sender.py)."""

import hashlib
import hmac
import http.client
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.utils.translation import gettext_noop as _

from backupsui import outbound
from backupsui.words import Sentence

from .deadline import Deadline

STEP_TIMEOUT = 5  # connecting, and each read, at most (the deadline bounds the whole)
ANSWER_READ_MAX = 64 * 1024  # what a receiver says back is not needed beyond its status
TRIES = 3
BACKOFF_SECONDS = 1.0  # then twice that, and so on
SIGNATURE_HEADER = "X-Backupsui-Signature"
TIMESTAMP_HEADER = "X-Backupsui-Timestamp"

DELIVERED = _("Delivered to the webhook.")
NOT_DELIVERED = _("Not delivered to the webhook.")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def address_for(url: str, rule: outbound.Rule, plain_http: bool = False) -> tuple[str, int]:
    """The one address the webhook will be sent to, checked (raises outbound.Refused):
    https only (`plain_http`: development), no user name or password (it would travel in
    no header the receiver reads as such; the signature proves the sender), and the
    outbound rule on its host and port."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise outbound.Refused(Sentence(_("That URL cannot be used."))) from None
    if parts.username is not None or parts.password is not None:
        raise outbound.Refused(
            Sentence(
                _(
                    "Leave the user name and password out of the URL; the signature proves "
                    "the alert came from the panel."
                )
            )
        )
    if parts.scheme not in ("http", "https") or not host:
        raise outbound.Refused(Sentence(_("Use an https:// URL.")))
    if parts.scheme != "https" and not plain_http:
        raise outbound.Refused(Sentence(_("Use an https:// URL.")))
    port = port or (443 if parts.scheme == "https" else 80)
    found = outbound.check(host, port, rule)
    return found[0][4][0], port


def masked(url: str) -> str:
    """What the audit trail shows of a webhook URL: its scheme, host and port; the path,
    which often holds a token, elided."""
    try:
        parts = urlsplit(url)
        where = host_header(parts) if parts.hostname else ""
    except ValueError:
        return "…"
    rest = "/…" if parts.path.strip("/") or parts.query else "/"
    return f"{parts.scheme}://{where}{rest}"[:300]


def host_header(parts) -> str:
    """The Host header: the URL's host and port, never its user or password."""
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def post(url: str, body: bytes, headers: dict, deadline: Deadline, rule, plain_http=False) -> int:
    """POSTs to the checked address, the TLS certificate checked against the URL's host
    name; never follows a redirect; reads at most a little of the answer, and nothing
    after the deadline. Returns the status; raises outbound.Refused, urllib3's errors or
    OSError."""
    address, port = address_for(url, rule, plain_http)
    parts = urlsplit(url)
    timeout = max(0.01, min(STEP_TIMEOUT, deadline.left()))
    if parts.scheme == "https":
        connection = urllib3.connection.HTTPSConnection(
            address,
            port,
            timeout=timeout,
            cert_reqs="CERT_REQUIRED",
            server_hostname=parts.hostname,
            assert_hostname=parts.hostname,
        )
    else:
        connection = urllib3.connection.HTTPConnection(address, port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": host_header(parts)},
            preload_content=False,
        )
        answer = connection.getresponse()
        read = 0
        while read < ANSWER_READ_MAX and not deadline.passed:
            chunk = answer.read1(4096)
            if not chunk:
                break
            read += len(chunk)
        if deadline.passed:
            raise TimeoutError("the alert's time ran out")
        return answer.status
    finally:
        connection.close()


@dataclass
class WebhookWay:
    """Everything one webhook's sending needs, ready made (bodies in the person's
    language): handed to the sending child process."""

    url: str
    secret: str
    bodies: list[bytes]
    plain_http: bool = False
    tries: int = TRIES
    backoff: float = BACKOFF_SECONDS


def send(way: WebhookWay, deadline: Deadline, rule, report, sleep=time.sleep) -> None:
    """Each body in turn, each with its tries; `report(alert, ok, said, detail)` after
    each (`detail`, for the log only, may name what answered; `said`, kept and shown,
    does not)."""
    for index, body in enumerate(way.bodies):
        ok, said, detail = _one(way, body, deadline, rule, sleep)
        report(index, ok, said, detail)


def _one(way: WebhookWay, body: bytes, deadline: Deadline, rule, sleep):
    tries, detail = 0, "timed out"
    while tries < way.tries and not deadline.passed:
        tries += 1
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "backupsui-alerts",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(way.secret, timestamp, body),
        }
        try:
            answered = post(way.url, body, headers, deadline, rule, way.plain_http)
        except outbound.Refused as refused:
            return False, Sentence(NOT_DELIVERED) + refused.why, f"refused: {refused}"
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as error:
            detail = type(error).__name__
        else:
            if 200 <= answered < 300:
                return True, Sentence(DELIVERED), f"HTTP {answered}"
            detail = f"HTTP {answered}"
        if deadline.passed:
            detail = "timed out"
        elif tries < way.tries:
            sleep(min(way.backoff * 2 ** (tries - 1), deadline.left()))
    return False, Sentence(NOT_DELIVERED), f"{detail} after {tries} tries"
