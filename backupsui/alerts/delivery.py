"""Sending an alert: by email to the person's address, as a JSON POST to their webhook,
signed with HMAC-SHA256 over "<timestamp>.<body>" so the receiver can tell it came from the
panel and is not a replay, and to each of their Apprise URLs. Each way is bounded as a whole
by BACKUPSUI_ALERT_TIMEOUT (deadline.py). Every outcome is logged and kept per channel."""

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_noop as _

from backupsui.accounts.crypto import TokenKeyError
from backupsui.accounts.models import Preference
from backupsui.words import Sentence, english

from . import chat
from .deadline import Cutoff, Deadline
from .models import Delivery, Tally

logger = logging.getLogger("backupsui.alerts")

WEBHOOK_TIMEOUT = 5
ANSWER_READ_MAX = 64 * 1024  # what a receiver says back is not needed beyond its status
WEBHOOK_TRIES = 3
BACKOFF_SECONDS = 1.0  # then twice that, and so on
SIGNATURE_HEADER = "X-Backupsui-Signature"
TIMESTAMP_HEADER = "X-Backupsui-Timestamp"


@dataclass
class Alert:
    kind: str  # "backup_failed", "backup_odd", "server_bad", "server_recovered", "digest", …
    subject: Sentence  # words are put in the person's language when sent
    lines: list[Sentence]
    items: list[dict]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class Refused(Exception):
    def __init__(self, why: Sentence):
        super().__init__(english(why))
        self.why = why


# IPv6 forms that carry an IPv4 address inside (NAT64, 6to4, Teredo, IPv4-compatible): the
# address inside must be public too, whatever `is_global` says of the outside.
# The IPv4-translated range (::ffff:0:a.b.c.d, RFC 2765) too, which `is_global` calls global.
NAT64 = (
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("::ffff:0:0:0/96"),
)


def public(ip) -> bool:
    if ip.is_multicast:
        return False
    if ip.version == 6:
        if any(ip in net for net in NAT64) or ip.teredo:
            return False
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and int(ip) >> 32 == 0:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)  # ::a.b.c.d
        if inner is not None and (inner.is_multicast or not inner.is_global):
            return False
    return ip.is_global


def address_for(url: str) -> tuple[str, int]:
    """The one address the webhook will be sent to, checked (raises Refused). Outside debug:
    https only, and a public address only: the panel must not be a way into its network. The
    POST goes to this very address, so a name that resolves elsewhere a moment later (DNS
    rebinding) changes nothing. A user name or password in the URL is refused: it would
    travel in no header the receiver reads as such."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise Refused(Sentence(_("That URL cannot be used."))) from None
    if parts.username is not None or parts.password is not None:
        raise Refused(
            Sentence(
                _(
                    "Leave the user name and password out of the URL; the signature proves "
                    "the alert came from the panel."
                )
            )
        )
    if parts.scheme not in ("http", "https") or not host:
        raise Refused(Sentence(_("Use an https:// URL.")))
    if parts.scheme != "https" and not settings.DEBUG:
        raise Refused(Sentence(_("Use an https:// URL.")))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise Refused(Sentence(_("That host name does not resolve."))) from None
    addresses = [ipaddress.ip_address(item[4][0]) for item in found]
    if not settings.DEBUG and not all(public(ip) for ip in addresses):
        raise Refused(
            Sentence(_("That address is inside a private network; alerts go to public URLs only."))
        )
    return str(addresses[0]), port


def webhook_refusal(url: str) -> Sentence | None:
    """Why this URL may not receive alerts, or None."""
    try:
        address_for(url)
    except Refused as refused:
        return refused.why
    return None


def host_header(parts) -> str:
    """The Host header: the URL's host and port, never its user or password."""
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def post(url: str, body: bytes, headers: dict, deadline: Deadline, cutoff: Cutoff) -> int:
    """POSTs to the checked address, the TLS certificate checked against the URL's host
    name; never follows a redirect; reads at most a little of the answer. The socket is
    handed to the cutoff, which shuts it at the delivery's deadline however slowly the
    receiver answers. Returns the status; raises urllib3's errors or OSError."""
    address, port = address_for(url)
    parts = urlsplit(url)
    timeout = max(0.01, min(WEBHOOK_TIMEOUT, deadline.left()))  # each step; the cutoff: all
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
        connection.connect()
        cutoff.watch(connection.sock)
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


def deliver(subscription, alert: Alert, only=None) -> Sentence:
    """Sends the alert every way the person asked for (or only to the Apprise URL `only`),
    in their language, each way within BACKUPSUI_ALERT_TIMEOUT; keeps each way's outcome and
    returns what happened (logged in English)."""
    said = Sentence()
    user = subscription.user
    language = (
        Preference.objects.filter(user=user).values_list("language", flat=True).first()
        or settings.LANGUAGE_CODE
    )
    outcomes = []
    with translation.override(language):
        if only is None and subscription.by_email:
            outcomes.append((Delivery.EMAIL, "", _email(user, alert, Deadline())))
        if only is None and subscription.webhook_url:
            outcomes.append((Delivery.WEBHOOK, "", _webhook(subscription, alert, Deadline())))
        for channel in [only] if only is not None else user.apprise_urls.all():
            sent = chat.send(channel, alert, Deadline())
            outcomes.append((Delivery.APPRISE, channel.name, sent))
    for channel, name, (ok, outcome) in outcomes:
        said += outcome
        logger.log(
            logging.INFO if ok else logging.WARNING,
            json.dumps(
                {
                    "alert": alert.kind,
                    "user": user.get_username(),
                    "channel": f"{channel}:{name}" if name else channel,
                    "items": len(alert.items),
                    "ok": ok,
                    "outcome": english(outcome),
                },
                ensure_ascii=False,
            ),
        )
    Delivery.keep(user, alert, outcomes)
    failed = sum(1 for _c, _n, (ok, _o) in outcomes if not ok)
    if failed:
        Tally.add(Tally.ALERTS_FAILED, failed)
    return said


def _email(user, alert: Alert, deadline: Deadline) -> tuple[bool, Sentence]:
    body = render_to_string("alerts/email.txt", {"user": user, "alert": alert})
    return send_email(user, str(alert.subject), body, deadline)


def send_email(
    user, subject: str, body: str, deadline: Deadline, html: str | None = None
) -> tuple[bool, Sentence]:
    """One email to the person's address (with an HTML alternative if given), all of it
    within the deadline; what happened, to keep and to show."""
    if not user.email:
        return False, Sentence(_("No email address on the account."))
    subject = " ".join(subject.split())  # one line, whatever a server is called
    message = EmailMultiAlternatives(subject[:200], body, None, [user.email])
    if html is not None:
        message.attach_alternative(html, "text/html")
    connection = mailers.default
    if hasattr(connection, "timeout"):  # SMTP: each step bounded, the whole by the cutoff
        connection.timeout = max(0.1, min(connection.timeout or deadline.left(), deadline.left()))
    try:
        with Cutoff(deadline) as cutoff:
            connection.open()
            cutoff.watch(getattr(getattr(connection, "connection", None), "sock", None))
            try:
                connection.send_messages([message])
            finally:
                connection.close()
    except (OSError, ValueError) as error:
        logger.warning("email to %s failed: %s", user.get_username(), type(error).__name__)
        return False, Sentence(_("The email could not be sent."))
    if deadline.passed:
        return False, Sentence(_("The email could not be sent."))
    return True, Sentence(_("Emailed."))


def _webhook(subscription, alert: Alert, deadline: Deadline) -> tuple[bool, Sentence]:
    url = subscription.webhook_url
    try:
        secret = subscription.secret()
    except TokenKeyError:
        logger.warning("alert webhook of %s: its secret cannot be read", subscription.user)
        return False, Sentence(_("The webhook's secret cannot be read with the configured keys."))
    body = json.dumps(
        {
            "type": alert.kind,
            "subject": str(alert.subject),
            "alerts": alert.items,
            "sent_at": timezone.now().isoformat(),
        },
        ensure_ascii=False,
    ).encode()
    tries, status = 0, "timed out"
    with Cutoff(deadline) as cutoff:
        while tries < WEBHOOK_TRIES and not deadline.passed:
            tries += 1
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "backupsui-alerts",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(secret, timestamp, body),
            }
            try:
                answered = post(url, body, headers, deadline, cutoff)
            except Refused as refused:
                logger.warning("alert webhook of %s refused: %s", subscription.user, refused)
                return False, Sentence(
                    _("The webhook was refused: %(why)s"), why=english(refused.why)
                )
            except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as error:
                status = type(error).__name__
            else:
                if 200 <= answered < 300:
                    return True, Sentence(_("The webhook answered %(status)s."), status=answered)
                status = f"HTTP {answered}"
            if deadline.passed:
                status = "timed out"
            logger.warning(
                "alert webhook of %s, try %d of %d: %s",
                subscription.user.get_username(),
                tries,
                WEBHOOK_TRIES,
                status,
            )
            if tries < WEBHOOK_TRIES:
                time.sleep(min(BACKOFF_SECONDS * 2 ** (tries - 1), deadline.left()))
    if deadline.passed and tries < WEBHOOK_TRIES:
        status = "timed out"
    if status == "timed out":
        return False, Sentence(
            _("The webhook did not answer within %(seconds)s seconds."),
            seconds=f"{settings.BACKUPSUI_ALERT_TIMEOUT:g}",
        )
    return False, Sentence(
        _("The webhook failed %(tries)d times (%(status)s)."), tries=WEBHOOK_TRIES, status=status
    )
