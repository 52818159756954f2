"""What one row of the backups table shows, worked out in Python once per row: the list page
draws fifty of these and must stay fast (the template only prints)."""

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from backupsui.upstream import TYPES, Backup, Sizes, size_text, status_label, type_label
from backupsui.words import Sentence

from . import names
from .health import BAD, LATE

EXPIRY_WARNING = timedelta(days=3)

_PLACEHOLDER = 987654321


@dataclass(slots=True)
class Row:
    """What one row of the backups table says, in the reader's words (row_html.py writes it,
    with the links and labels every row has)."""

    backup: Backup
    type_label: str
    badge_kind: str
    badge_label: str
    badge_aria: str
    size: str
    created_iso: str
    created_title: str
    created_text: str
    created_ago: str
    expires_text: str
    expires_title: str
    expires_soon: bool
    odd_text: str = ""  # why its size is odd, when it is
    description_note: str = ""  # the panel's safety backup, explained in the reader's words


# The safety backup's description (jobs.runner.safety_description): data kept upstream, in
# English whatever the reader's language, so the list explains it.
SAFETY_FORM = re.compile(r"Safety backup before restoring from backup (\d+) \(requested by (.+)\)")


def description_note(description: str) -> str:
    found = SAFETY_FORM.fullmatch(description)
    if found is None:
        return ""
    return _(
        "Taken by the panel before a restore from backup %(id)s that %(who)s asked for: "
        "a manual backup, kept until someone deletes it."
    ) % {"id": found[1], "who": found[2]}


def badge(status: str) -> tuple[str, str]:
    """The badge's kind (its colour) and label; an unknown status shows as it came (as names
    show: controls written out, cut)."""
    kind = {"in_progress": "running", "completed": "ok", "failed": "bad"}.get(status, "other")
    if kind == "other":
        return kind, names.name(status) if status else _("unknown")
    return kind, status_label(status)


def until(moment: datetime, now: datetime) -> tuple[str, bool]:
    """When something ends, in words, and whether those words say it is near: days up to
    two months ("in 12 days"), hours and minutes within the last day; near is what reads as
    at most EXPIRY_WARNING ("in 3 days" is near, "in 4 days" is not)."""
    left = moment - now
    seconds = left.total_seconds()
    if seconds <= 0:
        return _("expired"), False
    if left < timedelta(hours=1):
        count = max(1, int(seconds // 60))
        return ngettext("in %(n)d minute", "in %(n)d minutes", count) % {"n": count}, True
    if left < timedelta(days=1):
        count = int(seconds // 3600)
        return ngettext("in %(n)d hour", "in %(n)d hours", count) % {"n": count}, True
    if left.days <= 60:
        count = left.days
        text = ngettext("in %(n)d day", "in %(n)d days", count) % {"n": count}
        return text, count <= EXPIRY_WARNING.days
    return _("in %(time)s") % {"time": timeuntil(moment, now, depth=1)}, False


def ago(moment: datetime, now: datetime) -> str:
    if (now - moment).total_seconds() < 60:
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(moment, now, depth=1)}


# Why a fetch failed (upstream.calls.cause_of), in the reader's words.
FAILURE_WORDS = {
    "timeout": gettext_noop("it did not answer in time"),
    "refused": gettext_noop("the connection was refused"),
    "lost": gettext_noop("the connection broke off"),
    "paused": gettext_noop("calls are held back for a few seconds after repeated failures"),
    "5xx": gettext_noop("it answered with an error"),
    "429": gettext_noop("it asked the panel to slow down"),
    "4xx": gettext_noop("it refused the request"),
    "too large": gettext_noop("its answer was too large"),
    "unreadable": gettext_noop("its answer could not be read"),
}


@dataclass(frozen=True, slots=True)
class Freshness:
    """How old the list a page shows is, when it is older than BACKUPS_CACHE_SECONDS, and
    whether the API failed to give a newer one since (the token's row says, for every
    process and replica)."""

    age: int  # seconds
    fetched_at: str  # as the person's clock shows it
    failed_at: str = ""  # the last try that failed, after the list was fetched
    reason: str = ""  # why it failed, in words

    @property
    def retry_seconds(self) -> int:
        """How soon the page looks again: a little later when the API is failing."""
        return 5 if self.failed_at else 2


def freshness(listed, token) -> Freshness | None:
    """None when the list is fresh (at most BACKUPS_CACHE_SECONDS old)."""
    age = listed.age()
    if age <= settings.BACKUPS_CACHE_SECONDS:
        return None
    fetched = datetime.fromtimestamp(listed.fetched, tz=UTC)
    found = Freshness(round(age), clock(fetched, seconds=True))
    failed = token.list_failed_at
    if failed is None or failed < fetched:
        return found
    words = FAILURE_WORDS.get(token.list_failure, gettext_noop("it answered unexpectedly"))
    return replace(found, failed_at=clock(failed, seconds=True), reason=_(words))


def clock(moment: datetime | None = None, seconds: bool = False) -> str:
    """A moment as the person's clock shows it ("21:04 UTC", or "21:04:38 UTC"), for
    messages that say when."""
    layout = "H:i:s T" if seconds else "H:i T"
    return dateformat.format(timezone.localtime(moment or timezone.now()), layout)


def facts(backup: Backup) -> dict:
    """What a confirmation page shows of the backup it is about."""
    return {
        "backup": backup,
        "badge": badge(backup.status),
        "size": size_text(backup.size_mb),
        "type_label": type_label(backup.backup_type)
        if backup.backup_type in TYPES
        else names.name(backup.backup_type),
    }


def before_restore(backup: Backup, server_backups, now: datetime | None = None) -> dict:
    """What a restore confirmation says of the backup's place among the server's backups:
    how old it is, a newer completed one, a backup being taken now."""
    now = now or timezone.now()
    newer = [b for b in server_backups if b.completed and b.created_at > backup.created_at]
    newest = max(newer, key=lambda b: b.created_at, default=None)
    running = next((b for b in server_backups if b.in_progress), None)
    return {
        "age": ago(backup.created_at, now),
        "newer": newest,
        "newer_age": ago(newest.created_at, now) if newest else "",
        "running_backup": running,
    }


def table(user) -> dict:
    """What the rows may offer and the words of their columns, worked out once a page (not
    once a row)."""
    return {
        "can_restore": user.has_perm("backups.restore_server"),
        "can_delete": user.has_perm("backups.delete_backup"),
        "can_keep": user.has_perm("plans.mark_kept"),
        "words": {
            "restore": _("Restore"),
            "keep": _("Keep"),
            "release": _("Release"),
            "odd": _("odd size"),
            "delete": _("Delete"),
            "server": _("Server"),
            "type": _("Type"),
            "status": _("Status"),
            "size": _("Size"),
            "created": _("Created"),
            "expires": _("Expires"),
            "description": _("Description"),
        },
    }


class url_maker:  # noqa: N801 - used as the function it replaced
    """A URL for any id without calling reverse() once a row; `parts`: what comes before the
    id and after it."""

    def __init__(self, name: str, argument: str):
        pattern = reverse(name, kwargs={argument: _PLACEHOLDER})
        self.parts = tuple(pattern.split(str(_PLACEHOLDER)))

    def __call__(self, value) -> str:
        head, tail = self.parts
        return f"{head}{value}{tail}"


def odd_facts(odd) -> dict:
    """What is odd about a backup's size (story.Odd), as plain values an alert can carry."""
    return {
        "stuck": odd.stuck,
        "smaller": odd.smaller,
        "pct": odd.percent,
        "size": odd.backup.size_mb,
        "usual": round(odd.usual_mb),
    }


def odd_sentence(facts: dict) -> Sentence:
    """How far from usual a backup's size is (odd_facts), put in the reader's language when
    shown: the same words on the list, a server's page and in an alert."""
    if facts["stuck"]:
        return Sentence(gettext_noop("exactly the same size as the five before it: a stuck dump?"))
    values = {key: facts[key] for key in ("pct", "size", "usual")}
    if facts["smaller"]:
        return Sentence(
            gettext_noop("%(pct)s %% smaller than usual: %(size)s MB against %(usual)s MB."),
            **values,
        )
    return Sentence(
        gettext_noop("%(pct)s %% larger than usual: %(size)s MB against %(usual)s MB."), **values
    )


def odd_words(odd) -> str:
    """How far from usual a backup's size is, in words."""
    return str(odd_sentence(odd_facts(odd)))


def rows(backups, now: datetime | None = None, odd: dict | None = None) -> list[Row]:
    """The rows of a page; `odd` maps a backup id to why its size is odd (see story.py).
    Backups taken on a schedule share their times, and most share a status: each is put in
    words once a page."""
    now = now or timezone.now()
    odd = odd or {}
    zone = timezone.get_current_timezone()
    types = {value: str(label) for value, label in TYPES.items()}
    never, status_is = _("never"), _("Status: %(status)s")
    created_words: dict[datetime, tuple] = {}
    expires_words: dict[datetime | None, tuple] = {None: (never, "", False)}
    status_words: dict[str, tuple] = {}
    sizes = Sizes()

    def created_of(moment: datetime) -> tuple:
        local = moment.astimezone(zone)
        return (
            moment.isoformat(),
            local.strftime("%Y-%m-%d %H:%M:%S %Z"),
            local.strftime("%Y-%m-%d %H:%M %Z"),
            ago(moment, now),
        )

    def expires_of(moment: datetime) -> tuple:
        text, soon = until(moment, now)
        return text, moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"), soon

    def status_of(status: str) -> tuple:
        kind, label = badge(status)
        return kind, label, status_is % {"status": label}

    made = []
    for backup in backups:
        created, expires, status = backup.created_at, backup.expires_at, backup.status
        iso, full, short, since = created_words.get(created) or created_words.setdefault(
            created, created_of(created)
        )
        expires_text, expires_title, soon = expires_words.get(expires) or expires_words.setdefault(
            expires, expires_of(expires)
        )
        kind, label, aria = status_words.get(status) or status_words.setdefault(
            status, status_of(status)
        )
        description = backup.description
        made.append(
            Row(
                backup=backup,
                type_label=types.get(backup.backup_type) or names.name(backup.backup_type),
                badge_kind=kind,
                badge_label=label,
                badge_aria=aria,
                size=sizes.text(backup.size_mb),
                created_iso=iso,
                created_title=full,
                created_text=short,
                created_ago=since,
                expires_text=expires_text,
                expires_title=expires_title,
                expires_soon=soon,
                odd_text=odd_words(odd[backup.id]) if backup.id in odd else "",
                description_note=description_note(description)
                if description.startswith("Safety backup")
                else "",
            )
        )
    return made


@dataclass(slots=True)
class ServerRow:
    server: object  # a health.ServerHealth
    health_label: str
    list_url: str
    create_url: str
    newest_url: str
    newest_ago: str
    newest_type: str
    failures_url: str
    size: str
    expires_text: str
    expires_title: str
    expires_soon: bool
    muted_until: object = None  # until when the server's alerts are muted, if they are
    plan_reason: str = ""  # the plan its health follows, and why it is late or bad for it


def server_rows(servers, now: datetime | None = None, back: str = "") -> list[ServerRow]:
    """What one row of the servers page shows, worked out in Python once per row; its
    "Back up now" returns to `back` (the servers page as it was)."""
    now = now or timezone.now()
    also = f"&{urlencode({'back': back})}" if back else ""
    zone = timezone.get_current_timezone()
    list_url, create_url = reverse("backups:list"), reverse("backups:create")
    types = {value: str(label) for value, label in TYPES.items()}
    made = []
    for server in servers:
        newest = server.newest
        expiry = server.next_expiry
        expires_text, soon = until(expiry, now) if expiry else ("—", False)
        made.append(
            ServerRow(
                server=server,
                health_label=server.label,
                list_url=f"{list_url}?server_id={server.id}",
                create_url=f"{create_url}?server_id={server.id}{also}",
                newest_url=f"{list_url}?server_id={server.id}#backup-{newest.id}" if newest else "",
                newest_ago=ago(newest.created_at, now) if newest else "",
                newest_type=(types.get(newest.backup_type) or names.name(newest.backup_type))
                if newest
                else "",
                failures_url=f"{list_url}?server_id={server.id}&status=failed&within=7",
                size=size_text(server.total_mb) if server.count else "—",
                expires_text=expires_text,
                expires_title=expiry.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
                if expiry
                else "",
                expires_soon=soon,
                plan_reason=plan_reason(server, now),
            )
        )
    return made


def span(length: timedelta) -> str:
    """A length of time in whole minutes up to two hours, hours up to three days, then days
    (rounded down): "90 minutes", "9 hours", "7 days"."""
    seconds = max(0, int(length.total_seconds()))
    if seconds < 2 * 3600:
        n = seconds // 60
        return ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}
    if seconds < 72 * 3600:
        n = seconds // 3600
        return ngettext("%(n)d hour", "%(n)d hours", n) % {"n": n}
    n = seconds // 86400
    return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}


def plural_count(value: float) -> int:
    """The number a plural form is chosen by: the value when whole, else one that is not 1
    (half an hour reads "0.5 hours")."""
    return int(value) if float(value).is_integer() else 2


def hours_text(value: float) -> str:
    """A setting's hours in words: "1 hour", "26 hours", "1.5 hours"."""
    return ngettext("%(n)s hour", "%(n)s hours", plural_count(value)) % {"n": f"{value:g}"}


def minutes_text(value: float) -> str:
    """A setting's minutes in words: "1 minute", "10 minutes", "0.5 minutes"."""
    return ngettext("%(n)s minute", "%(n)s minutes", plural_count(value)) % {"n": f"{value:g}"}


def plan_reason(server, now: datetime) -> str:
    """What a server's health follows when a plan covers it, in words: "late for plan X: no
    completed backup for 9 hours, due every 6 hours"; empty when no plan covers it."""
    due = server.due
    if due is None:
        return ""
    values = {"plan": due.plan_name, "period": span(due.period)}
    if server.newest is None:
        return _("bad for plan %(plan)s: no completed backup yet, due every %(period)s") % values
    values["age"] = span(now - server.newest.created_at)
    if server.health == LATE:
        text = _("late for plan %(plan)s: no completed backup for %(age)s, due every %(period)s")
    elif server.health == BAD:
        text = _("bad for plan %(plan)s: no completed backup for %(age)s, due every %(period)s")
    else:
        text = _("follows plan %(plan)s: a backup due every %(period)s, the newest %(age)s old")
    return text % values
