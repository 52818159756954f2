"""Changing who is told what, and how: the alert settings (what to be told of, by email, the
webhook and its signing secret), the Apprise URLs, and test alerts. Each is a command taking
an explicit actor, and each is on the audit trail (URLs masked as on the page, the webhook's
path elided, secrets never). The views ask for a recent confirmation before any of them."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from backupsui.accounts import crypto
from backupsui.audit.actors import Actor
from backupsui.audit.models import Action
from backupsui.audit.recorder import note

from . import chat, webhook
from .models import AppriseUrl, Subscription
from .tasks import send_test_alert

TEST_EVERY = timedelta(minutes=1)  # a test may keep a worker busy for a deadline


class TooMany(Exception):
    """The person has BACKUPSUI_APPRISE_MAX Apprise URLs already."""


def _switch(value) -> str:
    return "on" if value else "off"


def save_settings(actor: Actor, form, new_secret: bool = False) -> str | None:
    """Saves the alert settings form (valid); returns a new webhook secret to show once
    (a new webhook URL, or one asked for), else None."""
    saved = form.save(commit=False)
    changed = [name for name in form.changed_data if name in form.fields]
    secret = None
    if ("webhook_url" in changed and saved.webhook_url) or new_secret:
        secret = secrets.token_urlsafe(32)
        saved.webhook_secret = crypto.encrypt(secret)
    saved.save()
    said = []
    for name in changed:
        if name == "webhook_url":
            url = saved.webhook_url
            said.append(f"webhook: {webhook.masked(url)}" if url else "webhook: removed")
        else:
            said.append(f"{name.replace('_', ' ')}: {_switch(getattr(saved, name))}")
    if secret is not None:
        said.append("a new webhook secret")
    if said:
        note(actor, Action.ALERTS_CHANGED, message="; ".join(said))
    return secret


def add_apprise_url(actor: Actor, user, name: str, url: str) -> AppriseUrl:
    """Adds an Apprise URL (checked by the form), encrypted; raises TooMany when the person
    has BACKUPSUI_APPRISE_MAX already (counted under a lock on the person: two at once
    cannot both be the last)."""
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
        if AppriseUrl.objects.filter(user=user).count() >= settings.BACKUPSUI_APPRISE_MAX:
            raise TooMany
        Subscription.objects.get_or_create(user=user)  # alerts on failures, by default
        channel = AppriseUrl.objects.create(
            user=user, name=name, ciphertext=crypto.encrypt(url), masked=chat.masked(url)
        )
        note(actor, Action.ALERT_TARGET_ADDED, message=f"Apprise {name!r}: {channel.masked}")
    return channel


def remove_apprise_url(actor: Actor, channel: AppriseUrl) -> None:
    with transaction.atomic():
        AppriseUrl.objects.filter(pk=channel.pk).delete()
        note(
            actor,
            Action.ALERT_TARGET_REMOVED,
            message=f"Apprise {channel.name!r}: {channel.masked}",
        )


def send_test(actor: Actor, user, channel: AppriseUrl | None = None) -> bool:
    """Queues a test alert, every way the person asked for (or to one Apprise URL), at most
    one a minute for each; False when one went less than a minute ago."""
    now = timezone.now()
    if channel is None:
        rows = Subscription.objects.filter(user=user)
        what = "every way asked for"
    else:
        rows = AppriseUrl.objects.filter(pk=channel.pk, user=user)
        what = f"Apprise {channel.name!r}: {channel.masked}"
    if not rows.exclude(last_test_at__gte=now - TEST_EVERY).update(last_test_at=now):
        return False
    note(actor, Action.ALERT_TEST_SENT, message=what)
    send_test_alert.enqueue(user.pk, channel.pk if channel else None)
    return True
