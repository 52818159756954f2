"""Sending an alert: by email to the person's address, and/or as a JSON POST to their
webhook, signed with HMAC-SHA256 over "<timestamp>.<body>" so the receiver can tell it came
from the panel and is not a replay. Every alert sent is logged."""

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_noop as _

from backupsui.accounts.crypto import TokenKeyError
from backupsui.accounts.models import Preference
from backupsui.words import Sentence, english

logger = logging.getLogger("backupsui.alerts")

WEBHOOK_TIMEOUT = 5
ANSWER_READ_MAX = 64 * 1024  # what a receiver says back is not needed beyond its status
WEBHOOK_TRIES = 3
BACKOFF_SECONDS = 1.0  # then twice that, and so on
SIGNATURE_HEADER = "X-Backupsui-Signature"
TIMESTAMP_HEADER = "X-Backupsui-Timestamp"


@dataclass
class Alert:
    kind: str  # "backup_failed", "server_bad", "digest" or "test"
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
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def public(ip) -> bool:
    if ip.version == 6:
        if any(ip in net for net in NAT64) or ip.teredo:
            return False
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and int(ip) >> 32 == 0:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)  # ::a.b.c.d
        if inner is not None and not inner.is_global:
            return False
    return ip.is_global


def address_for(url: str) -> tuple[str, int]:
    """The one address the webhook will be sent to, checked (raises Refused). Outside debug:
    https only, and a public address only: the panel must not be a way into its network. The
    POST goes to this very address, so a name that resolves elsewhere a moment later (DNS
    rebinding) changes nothing."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise Refused(Sentence(_("That URL cannot be used."))) from None
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


def post(url: str, body: bytes, headers: dict) -> int:
    """POSTs to the checked address, the TLS certificate checked against the URL's host
    name; never follows a redirect; reads at most a little of the answer, within the time
    limit. Returns the status; raises urllib3's errors."""
    address, port = address_for(url)
    parts = urlsplit(url)
    timeout = urllib3.Timeout(connect=WEBHOOK_TIMEOUT, read=WEBHOOK_TIMEOUT)
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            port,
            timeout=timeout,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            server_hostname=parts.hostname,
            assert_hostname=parts.hostname,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline = time.monotonic() + 2 * WEBHOOK_TIMEOUT
    with pool:
        answer = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": parts.netloc},
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            read = 0
            while read < ANSWER_READ_MAX and time.monotonic() < deadline:
                chunk = answer.read1(4096)
                if not chunk:
                    break
                read += len(chunk)
        finally:
            answer.release_conn()
            answer.close()
    return answer.status


def deliver(subscription, alert: Alert) -> Sentence:
    """Sends the alert every way the person asked for, in their language; returns what
    happened (logged in English)."""
    said = Sentence()
    user = subscription.user
    language = (
        Preference.objects.filter(user=user).values_list("language", flat=True).first()
        or settings.LANGUAGE_CODE
    )
    with translation.override(language):
        if subscription.by_email:
            said += _email(user, alert)
        if subscription.webhook_url:
            said += _webhook(subscription, alert)
    logger.info(
        json.dumps(
            {
                "alert": alert.kind,
                "user": user.get_username(),
                "items": len(alert.items),
                "outcome": english(said),
            },
            ensure_ascii=False,
        )
    )
    return said


def _email(user, alert: Alert) -> Sentence:
    if not user.email:
        return Sentence(_("No email address on the account."))
    body = render_to_string("alerts/email.txt", {"user": user, "alert": alert})
    subject = " ".join(str(alert.subject).split())  # one line, whatever a server is called
    try:
        send_mail(subject[:200], body, None, [user.email])
    except (OSError, ValueError) as error:
        logger.warning("alert email to %s failed: %s", user.get_username(), error)
        return Sentence(_("The email could not be sent."))
    return Sentence(_("Emailed."))


def _webhook(subscription, alert: Alert) -> Sentence:
    url = subscription.webhook_url
    try:
        secret = subscription.secret()
    except TokenKeyError:
        logger.warning("alert webhook of %s: its secret cannot be read", subscription.user)
        return Sentence(_("The webhook's secret cannot be read with the configured keys."))
    body = json.dumps(
        {
            "type": alert.kind,
            "subject": str(alert.subject),
            "alerts": alert.items,
            "sent_at": timezone.now().isoformat(),
        },
        ensure_ascii=False,
    ).encode()
    for attempt in range(1, WEBHOOK_TRIES + 1):
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "backupsui-alerts",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        }
        try:
            answered = post(url, body, headers)
        except Refused as refused:
            logger.warning("alert webhook of %s refused: %s", subscription.user, refused)
            return Sentence(_("The webhook was refused: %(why)s"), why=english(refused.why))
        except (urllib3.exceptions.HTTPError, OSError) as error:
            status = type(error).__name__
        else:
            if 200 <= answered < 300:
                return Sentence(_("The webhook answered %(status)s."), status=answered)
            status = f"HTTP {answered}"
        logger.warning(
            "alert webhook of %s, try %d of %d: %s",
            subscription.user.get_username(),
            attempt,
            WEBHOOK_TRIES,
            status,
        )
        if attempt < WEBHOOK_TRIES:
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
    return Sentence(
        _("The webhook failed %(tries)d times (%(status)s)."), tries=WEBHOOK_TRIES, status=status
    )
