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

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_noop as _

from backupsui.accounts.models import Preference
from backupsui.words import Sentence, english

logger = logging.getLogger("backupsui.alerts")

WEBHOOK_TIMEOUT = 5
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


def webhook_refusal(url: str) -> Sentence | None:
    """Why this URL may not receive alerts, or None. Outside debug: https only, and never an
    address inside the panel's own network (the panel must not be a way in)."""
    parts = urlsplit(url)
    if settings.DEBUG:
        return None if parts.scheme in ("http", "https") else Sentence(_("Use an http(s) URL."))
    if parts.scheme != "https" or not parts.hostname:
        return Sentence(_("Use an https:// URL."))
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        return Sentence(_("That host name does not resolve."))
    for *_rest, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global:
            return Sentence(
                _("That address is inside a private network; alerts go to public URLs only.")
            )
    return None


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
    try:
        send_mail(str(alert.subject), body, None, [user.email])
    except OSError as error:
        logger.warning("alert email to %s failed: %s", user.get_username(), error)
        return Sentence(_("The email could not be sent."))
    return Sentence(_("Emailed."))


def _webhook(subscription, alert: Alert) -> Sentence:
    url = subscription.webhook_url
    refused = webhook_refusal(url)
    if refused:
        logger.warning(
            "alert webhook of %s refused: %s", subscription.user.get_username(), english(refused)
        )
        return Sentence(_("The webhook was refused: %(why)s"), why=english(refused))
    body = json.dumps(
        {
            "type": alert.kind,
            "subject": str(alert.subject),
            "alerts": alert.items,
            "sent_at": timezone.now().isoformat(),
        },
        ensure_ascii=False,
    ).encode()
    secret = subscription.secret()
    for attempt in range(1, WEBHOOK_TRIES + 1):
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "backupsui-alerts",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        }
        try:
            answer = requests.post(
                url, data=body, headers=headers, timeout=WEBHOOK_TIMEOUT, allow_redirects=False
            )
        except requests.RequestException as error:
            status = type(error).__name__
        else:
            if 200 <= answer.status_code < 300:
                return Sentence(_("The webhook answered %(status)s."), status=answer.status_code)
            status = f"HTTP {answer.status_code}"
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
