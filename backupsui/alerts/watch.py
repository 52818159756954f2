"""The periodic round's alerts: one look at every stored token's list (which also keeps each
server's state, backups/servers_seen.py), then for each subscribed person what is new since
the last look: a backup that failed, a backup whose size is odd, a server that turned bad (or
was bad already at the person's first look), a bad server that recovered, and a reminder
while one stays bad. Muted servers send nothing.
Each piece of news is noted in the database before it is sent, under a unique key, so no
alert goes out twice, whatever restarts or runs beside. Server names come from the API: in
alerts their bidirectional controls are written out and a long name is cut (bidi.py)."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from backupsui.backups.account import NoToken, account_for, every_tokens_list
from backupsui.backups.health import BAD
from backupsui.backups.models import ServerState
from backupsui.backups.presenters import odd_facts, odd_sentence
from backupsui.bidi import shown_name
from backupsui.claims import claim
from backupsui.upstream import UpstreamError
from backupsui.words import Sentence, english

from .delivery import Alert, deliver, deliver_all
from .models import SentAlert, Subscription, Tally

logger = logging.getLogger("backupsui.alerts")
DIGEST_FROM = 5  # this many at once go as one message
RECENT = timedelta(days=7)  # failures and odd sizes older than this are history, not news


def watch_everyone() -> int:
    """The round: every token's list read once, then one look for each subscribed person;
    returns how many alerts went out. Its end is the worker's heartbeat (/metrics)."""
    lists = every_tokens_list()
    sent = 0
    for subscription in Subscription.objects.select_related("user").filter(user__is_active=True):
        if subscription.active:
            try:
                sent += watch(subscription, lists.get(subscription.user_id))
            except Exception:  # noqa: BLE001 - one person's trouble must not stop the round
                logger.exception("alerts: watching for %s failed", subscription.user)
    Tally.beat(Tally.ROUND)
    return sent


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def watch(subscription: Subscription, listed=None) -> int:
    user = subscription.user
    if listed is None:
        try:
            listed = account_for(user).backups()
        except NoToken:
            return 0
        except UpstreamError as error:
            logger.warning("alerts: the list of %s could not be read: %s", user, error.message)
            return 0
    now = timezone.now()
    muted = set(ServerState.objects.filter(muted_until__gt=now).values_list("server_id", flat=True))
    news = []
    newest_of = {server.id: server.newest for server in listed.health(now)}
    if subscription.on_failure:
        for backup in listed.backups:
            if (
                backup.status == "failed"
                and backup.created_at >= now - RECENT
                and backup.server.id not in muted
            ):
                item = {
                    "event": "backup_failed",
                    "server_id": backup.server.id,
                    "server": shown_name(backup.server.name),
                    "backup_id": backup.id,
                    "taken_at": backup.created_at.isoformat(),
                    **_where(backup.server.id, newest_of.get(backup.server.id)),
                }
                news.append((SentAlert.FAILURE, str(backup.id), item))
    if subscription.on_odd:
        news += _odd_sizes(listed, muted, newest_of, now)
    if subscription.on_bad:
        servers = {server.id: server for server in listed.health(now)}
        for server in servers.values():
            if server.health == BAD and server.id not in muted:
                news.append((SentAlert.BAD, _bad_key(server), _item("server_bad", server)))
        news += _follow_ups(user, servers, muted, now)
    # The first look is the starting point: failures and odd sizes already there are history,
    # not news. A server bad already is news all the same (told once, then reminded as any
    # other): someone who asks to hear of bad servers expects to hear of the one there is.
    first_look = subscription.watching_since is None
    fresh = []
    for kind, key, item in news:
        told = not first_look or kind == SentAlert.BAD
        if _note(user, kind, key, sent=told) and told:
            fresh.append(item)
    if first_look:
        Subscription.objects.filter(pk=subscription.pk).update(watching_since=now)
    if not fresh:
        return 0
    # One alert per piece of news; five or more at once go as one digest. All of them go
    # side by side, within one deadline.
    alerts = [_digest(fresh)] if len(fresh) >= DIGEST_FROM else [_single(i) for i in fresh]
    _keep_outcome(subscription, deliver_all(subscription, alerts))
    return len(fresh)


def _odd_sizes(listed, muted: set, newest_of: dict, now) -> list:
    """Each recent completed backup whose size is odd (story.judge: far from its server's
    usual, or stuck at the same size), once per backup."""
    recent = sorted(
        (
            backup
            for backup in listed.backups
            if backup.status == "completed"
            and backup.created_at >= now - RECENT
            and backup.server.id not in muted
        ),
        key=lambda backup: (backup.created_at, backup.id),
    )
    news = []
    for backup_id, odd in listed.odd_among(recent).items():
        backup = odd.backup
        item = {
            "event": "backup_odd",
            "server_id": backup.server.id,
            "server": shown_name(backup.server.name),
            "backup_id": backup_id,
            "taken_at": backup.created_at.isoformat(),
            "size_mb": backup.size_mb,
            "usual_mb": round(odd.usual_mb),
            "odd": odd_facts(odd),
            **_where(backup.server.id, newest_of.get(backup.server.id)),
        }
        news.append((SentAlert.ODD, str(backup_id), item))
    return news


def _bad_key(server) -> str:
    return f"{server.id}:{server.newest.id if server.newest else 0}"


def _item(event: str, server) -> dict:
    newest = server.newest
    return {
        "event": event,
        "server_id": server.id,
        "server": shown_name(server.name),
        "newest_completed_id": newest.id if newest else None,
        **_where(server.id, newest),
    }


def _follow_ups(user, servers: dict, muted: set, now) -> list:
    """For each bad server this person was told of and not yet told has recovered: one
    "recovered" once it has a completed backup again, else a reminder every
    BACKUPSUI_ALERT_REMIND_HOURS (its number in the key: each is sent once)."""
    remind = timedelta(hours=settings.BACKUPSUI_ALERT_REMIND_HOURS)
    told = SentAlert.objects.filter(user=user, kind=SentAlert.BAD, sent=True)
    recovered = set(
        SentAlert.objects.filter(user=user, kind=SentAlert.RECOVERED).values_list("key", flat=True)
    )
    news = []
    for key, told_at in told.values_list("key", "created_at"):
        if key in recovered:
            continue
        server = servers.get(int(key.split(":")[0]))
        if server is None or server.id in muted:
            continue
        if server.health != BAD and server.newest is not None:
            news.append((SentAlert.RECOVERED, key, _item("server_recovered", server)))
        elif server.health == BAD and remind and _bad_key(server) == key:
            number = int((now - told_at) / remind)
            if number >= 1:
                item = _item("server_still_bad", server)
                news.append((SentAlert.REMINDER, f"{key}:{number}", item))
    return news


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
    return claim(SentAlert, user=user, kind=kind, key=key, sent=sent)


def _where(server_id: int, newest) -> dict:
    """What every alert says of its server: the link to its page in the panel (absolute when
    BACKUPSUI_PANEL_URL is set) and when its newest completed backup was taken."""
    return {
        "server_url": settings.BACKUPSUI_PANEL_URL + reverse("backups:server", args=[server_id]),
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
    event = item["event"]
    if event == "backup_failed":
        return Sentence(
            _("Backup %(id)s of %(server)s (#%(sid)s) failed."),
            id=item["backup_id"],
            server=item["server"],
            sid=item["server_id"],
        )
    if event == "backup_odd":
        return Sentence(
            _("Backup %(id)s of %(server)s (#%(sid)s), taken %(when)s, has an odd size:"),
            id=item["backup_id"],
            server=item["server"],
            sid=item["server_id"],
            when=_when(datetime.fromisoformat(item["taken_at"])),
        ) + odd_sentence(item["odd"])
    names = {"server": item["server"], "sid": item["server_id"]}
    newest = item.get("newest_completed_id")
    if newest is not None:
        names.update(backup=newest, when=_when(datetime.fromisoformat(item["newest_completed_at"])))
    if event == "server_recovered":
        return Sentence(
            _("%(server)s (#%(sid)s) has recovered: backup #%(backup)s of %(when)s completed."),
            **names,
        )
    if event == "server_still_bad":
        if newest is None:
            return Sentence(_("Still bad: %(server)s (#%(sid)s) has no completed backup."), **names)
        return Sentence(
            _(
                "Still bad: %(server)s (#%(sid)s); its newest completed backup is #%(backup)s "
                "of %(when)s."
            ),
            **names,
        )
    if newest is None:
        return Sentence(
            _("%(server)s (#%(sid)s) has no completed backup recent enough: it is bad."), **names
        )
    return Sentence(
        _(
            "%(server)s (#%(sid)s) is bad: its newest completed backup, #%(backup)s of "
            "%(when)s, is too old."
        ),
        **names,
    )


def _single(item: dict) -> Alert:
    line = _describe(item)
    return Alert(
        item["event"], Sentence.verbatim("backupsui:") + line, [line, *_context(item)], [item]
    )


def _digest(items: list[dict]) -> Alert:
    # "problems: 6", not "6 problems": a stored sentence has one form for every number.
    subject = Sentence(_("backupsui: backup problems: %(count)s"), count=len(items))
    lines = [_describe(item) + Sentence.verbatim(f"({item['server_url']})") for item in items]
    return Alert("digest", subject, lines, items)


def send_test_alert(subscription: Subscription, only=None) -> str:
    """A test alert, sent every way the person asked for (or to one Apprise URL)."""
    item = {"event": "test"}
    line = Sentence(_("This is a test alert from backupsui: alerts reach you this way."))
    subject = Sentence(_("backupsui: a test alert"))
    outcome = deliver(subscription, Alert("test", subject, [line], [item]), only=only)
    _keep_outcome(subscription, [outcome])
    return english(outcome)
