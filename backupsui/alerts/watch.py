"""Looking at each subscribed person's list (once a tick) for what is new since the last look:
a backup that failed, a server that turned bad. Each is noted in the database before it is
sent, under a unique key, so no alert goes out twice, whatever restarts or runs beside."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from backupsui.backups.account import NoToken, account_for
from backupsui.backups.health import BAD
from backupsui.upstream import UpstreamError
from backupsui.words import Sentence, english

from .delivery import Alert, deliver
from .models import SentAlert, Subscription

logger = logging.getLogger("backupsui.alerts")
DIGEST_FROM = 5  # this many at once go as one message
RECENT = timedelta(days=7)  # failures older than this are history, not news


def watch_everyone() -> int:
    """One look at each subscribed person's list; returns how many alerts went out."""
    sent = 0
    for subscription in Subscription.objects.select_related("user").filter(user__is_active=True):
        if subscription.active:
            try:
                sent += watch(subscription)
            except Exception:  # noqa: BLE001 - one person's trouble must not stop the round
                logger.exception("alerts: watching for %s failed", subscription.user)
    return sent


def watch(subscription: Subscription) -> int:
    user = subscription.user
    try:
        listed = account_for(user).backups()
    except NoToken:
        return 0
    except UpstreamError as error:
        logger.warning("alerts: the list of %s could not be read: %s", user, error.message)
        return 0
    now = timezone.now()
    news = []
    newest_of = {server.id: server.newest for server in listed.health(now)}
    if subscription.on_failure:
        for backup in listed.backups:
            if backup.status == "failed" and backup.created_at >= now - RECENT:
                item = {
                    "event": "backup_failed",
                    "server_id": backup.server.id,
                    "server": backup.server.name,
                    "backup_id": backup.id,
                    "taken_at": backup.created_at.isoformat(),
                    **_where(backup.server.id, newest_of.get(backup.server.id)),
                }
                news.append((SentAlert.FAILURE, str(backup.id), item))
    if subscription.on_bad:
        for server in listed.health(now):
            if server.health == BAD:
                newest = server.newest
                item = {
                    "event": "server_bad",
                    "server_id": server.id,
                    "server": server.name,
                    **_where(server.id, newest),
                }
                key = f"{server.id}:{newest.id if newest else 0}"
                news.append((SentAlert.BAD, key, item))
    first_look = subscription.watching_since is None
    fresh = [item for kind, key, item in news if _note(user, kind, key, sent=not first_look)]
    if first_look:
        Subscription.objects.filter(pk=subscription.pk).update(watching_since=now)
        return 0
    if not fresh:
        return 0
    # One alert per piece of news; five or more at once go as one digest.
    alerts = [_digest(fresh)] if len(fresh) >= DIGEST_FROM else [_single(i) for i in fresh]
    _keep_outcome(subscription, [deliver(subscription, alert) for alert in alerts])
    return len(fresh)


def _keep_outcome(subscription: Subscription, outcomes: list[Sentence]) -> None:
    """What sending said, every different outcome of the round (a failure stays visible
    beside a later success), whole: it is read back as JSON."""
    said, seen = Sentence(), set()
    for outcome in outcomes:
        if outcome.dumps() not in seen:
            seen.add(outcome.dumps())
            said += outcome
    Subscription.objects.filter(pk=subscription.pk).update(
        last_delivery=said.dumps(), last_delivery_at=timezone.now()
    )


def _note(user, kind: str, key: str, sent: bool) -> bool:
    """True when this is news: noted now, never before."""
    try:
        with transaction.atomic():
            SentAlert.objects.create(user=user, kind=kind, key=key, sent=sent)
    except IntegrityError:
        return False
    return True


def _where(server_id: int, newest) -> dict:
    """What every alert says of its server: the link to its page in the panel (absolute when
    BACKUPSUI_PANEL_URL is set) and when its newest completed backup was taken."""
    return {
        "server_url": settings.BACKUPSUI_PANEL_URL
        + reverse("backups:list")
        + f"?server_id={server_id}",
        "newest_completed_at": newest.created_at.isoformat() if newest else None,
    }


def _context(item: dict) -> list[Sentence]:
    """The lines under an alert's first: the newest completed backup, the server's page."""
    when = item.get("newest_completed_at")
    newest = (
        Sentence(
            _("Newest completed backup of the server: %(when)s UTC."),
            when=when[:16].replace("T", " "),
        )
        if when
        else Sentence(_("The server has no completed backup."))
    )
    return [newest, Sentence(_("The server in the panel: %(url)s"), url=item["server_url"])]


def _describe(item: dict) -> Sentence:
    if item["event"] == "backup_failed":
        return Sentence(
            _("Backup %(id)s of %(server)s (#%(sid)s) failed."),
            id=item["backup_id"],
            server=item["server"],
            sid=item["server_id"],
        )
    return Sentence(
        _("%(server)s (#%(sid)s) has no completed backup recent enough: it is bad."),
        server=item["server"],
        sid=item["server_id"],
    )


def _single(item: dict) -> Alert:
    line = _describe(item)
    return Alert(
        item["event"], Sentence.verbatim("backupsui:") + line, [line, *_context(item)], [item]
    )


def _digest(items: list[dict]) -> Alert:
    subject = Sentence(_("backupsui: %(count)s backup problems"), count=len(items))
    lines = [_describe(item) + Sentence.verbatim(f"({item['server_url']})") for item in items]
    return Alert("digest", subject, lines, items)


def send_test_alert(subscription: Subscription) -> str:
    """A test alert, sent every way the person asked for."""
    item = {"event": "test"}
    line = Sentence(_("This is a test alert from backupsui: alerts reach you this way."))
    subject = Sentence(_("backupsui: a test alert"))
    outcome = deliver(subscription, Alert("test", subject, [line], [item]))
    _keep_outcome(subscription, [outcome])
    return english(outcome)
