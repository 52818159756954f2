"""Backup health across servers, worked out from the one list the panel already has: which
server has no good backup from the last day, at a glance.

A server is *good* while its newest completed backup is younger than
BACKUPSUI_HEALTH_LATE_HOURS (26), *late* while younger than BACKUPSUI_HEALTH_BAD_HOURS (48),
and *bad* beyond that or with no completed backup at all. Only `completed` counts as good:
failed, running or unknown statuses never do.

A server a backup plan covers follows the plan's schedule instead (`Due`): *late* when its
newest completed backup is older than the plan's period and half a period again (one slot
missed, with a grace of half a period), *bad* when older than two periods and a half (a second
slot missed too). With several plans, the shortest period counts. Which plans cover which
server is the plans app's knowledge, a floor above this one (plan_facts.py): each list's
health asks it once."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backupsui.upstream import Backup

from .models import SeenServer

GOOD, LATE, BAD = "good", "late", "bad"
HEALTHS = {GOOD: _("good"), LATE: _("late"), BAD: _("bad")}
WORST_FIRST = {BAD: 0, LATE: 1, GOOD: 2}
FAILURES_SINCE = timedelta(days=7)
SORTS = {
    "health": _("Worst first"),
    "name": _("Name A–Z"),
    "last-good": _("Oldest good backup first"),
}


@dataclass(frozen=True, slots=True)
class Due:
    """What a plan promises a server: a backup every `period` (the plan named)."""

    plan_id: int
    plan_name: str
    period: timedelta

    @property
    def late_after(self) -> timedelta:
        return self.period * 1.5

    @property
    def bad_after(self) -> timedelta:
        return self.period * 2.5


def due_of(covering: dict[int, list]) -> dict[int, Due]:
    """Server id → the plan whose schedule its health follows: of those covering it
    (plan_facts.covering), the one that runs most often."""
    return {
        server_id: Due(plans[0].plan_id, plans[0].plan_name, plans[0].period)
        for server_id, plans in covering.items()
        if plans
    }


@dataclass(slots=True)
class ServerHealth:
    id: int
    name: str
    health: str = BAD
    newest: Backup | None = None  # the newest completed backup
    running: Backup | None = None  # a backup being taken now
    failures: int = 0  # failed in the last seven days
    count: int = 0
    total_mb: float = 0
    next_expiry: datetime | None = None
    never_expire: int = 0  # manual backups, which never expire by themselves
    due: Due | None = None  # the plan whose schedule its health follows, if one covers it

    @property
    def label(self) -> str:
        return str(HEALTHS[self.health])


def assess(
    backups: list[Backup],
    known: dict[int, str],
    now: datetime,
    due: dict[int, Due] | None = None,
) -> list[ServerHealth]:
    """Every server of the list, and every server seen before (`known`), worst first; a
    server in `due` (server id → its plan) is judged by its plan's period."""
    servers: dict[int, ServerHealth] = {}
    failures_since = now - FAILURES_SINCE
    for backup in backups:
        server = servers.get(backup.server.id)
        if server is None:
            server = servers[backup.server.id] = ServerHealth(backup.server.id, backup.server.name)
        server.count += 1
        if backup.size_mb is not None:
            server.total_mb += backup.size_mb
        status = backup.status
        if status == "completed":
            if server.newest is None or backup.created_at > server.newest.created_at:
                server.newest = backup
        elif status == "in_progress":
            if server.running is None or backup.created_at > server.running.created_at:
                server.running = backup
        elif status == "failed" and backup.created_at >= failures_since:
            server.failures += 1
        expires = backup.expires_at
        if expires is None:
            server.never_expire += backup.backup_type == "manual"
        elif expires > now and (server.next_expiry is None or expires < server.next_expiry):
            server.next_expiry = expires
    for server_id, name in known.items():
        servers.setdefault(server_id, ServerHealth(server_id, name))
    late = timedelta(hours=settings.BACKUPSUI_HEALTH_LATE_HOURS)
    bad = timedelta(hours=settings.BACKUPSUI_HEALTH_BAD_HOURS)
    due = due or {}
    for server in servers.values():
        server.due = due.get(server.id)
        if server.newest is None:
            continue
        age = now - server.newest.created_at
        if server.due is not None:
            promised = server.due
            server.health = (
                GOOD if age <= promised.late_after else LATE if age <= promised.bad_after else BAD
            )
        else:
            server.health = GOOD if age < late else LATE if age < bad else BAD
    return ordered(list(servers.values()), "health")


def ordered(servers: list[ServerHealth], sort: str) -> list[ServerHealth]:
    by_name = sorted(servers, key=lambda s: (s.name.casefold(), s.id))
    if sort == "name":
        return by_name

    def good_since(server: ServerHealth) -> float:
        return server.newest.created_at.timestamp() if server.newest else float("-inf")

    if sort == "last-good":
        return sorted(by_name, key=good_since)
    return sorted(by_name, key=lambda s: (WORST_FIRST[s.health], good_since(s)))


def summary(servers: list[ServerHealth]) -> dict:
    counts = {health: 0 for health in HEALTHS}
    for server in servers:
        counts[server.health] += 1
    return {"total": len(servers), **counts}


def note_servers(user, token_saved_at, servers: list[tuple[int, str]]) -> dict[int, str]:
    """Notes a fresh list's servers for this person's token, and returns every server seen
    under that token (id → name): one query, one more when a server is new or renamed, and
    one a day to renew when the servers were last seen. When a server is new to the token
    (a token just stored, or replaced), the servers its account's other tokens have shown
    (anyone's, and this person's earlier one) are taken over: a server whose backups are all
    gone keeps its place whichever token of the account looks (`account_servers`)."""
    rows = SeenServer.objects.filter(user=user, token_saved_at=token_saved_at)
    now = timezone.now()
    known, stale = {}, set()
    for sid, name, seen_at in rows.values_list("server_id", "name", "last_seen_at"):
        known[sid] = name
        if seen_at < now - SeenServer.RENEW_EVERY:
            stale.add(sid)
    new = [(sid, name[:255]) for sid, name in servers if known.get(sid) != name[:255]]
    if new:
        SeenServer.objects.bulk_create(
            [
                SeenServer(
                    user=user,
                    token_saved_at=token_saved_at,
                    server_id=sid,
                    name=name,
                    last_seen_at=now,
                )
                for sid, name in new
            ],
            update_conflicts=True,
            unique_fields=["user", "token_saved_at", "server_id"],
            update_fields=["name", "last_seen_at"],
        )
        known.update(new)
        known.update(account_servers(user, token_saved_at, known))
        # What an earlier token showed is now under this one when it is the same account's
        # (taken over just above); otherwise it was another account's, and goes.
        SeenServer.objects.filter(user=user).exclude(token_saved_at=token_saved_at).delete()
    seen_again = stale.intersection(sid for sid, _name in servers).difference(
        sid for sid, _name in new
    )
    if seen_again:
        rows.filter(server_id__in=seen_again).update(last_seen_at=now)
    return known


def account_servers(user, token_saved_at, known: dict[int, str]) -> dict[int, str]:
    """The servers other tokens of the same provider account have shown that this person's
    token has not (id → name), now noted under this token too. A token is of the account
    when it has shown a server this one shows (server ids are the provider's, one account
    each): anyone's token, and this person's own earlier one. The copies keep when the
    server was last seen, so a server no token shows any more is forgotten as before."""
    mine = SeenServer.objects.filter(user=user, token_saved_at=token_saved_at)
    tokens = (
        SeenServer.objects.filter(server_id__in=mine.values("server_id"))
        .exclude(user=user, token_saved_at=token_saved_at)
        .values_list("user_id", "token_saved_at")
        .distinct()
    )
    same_account = Q()
    for other, saved_at in tokens:
        same_account |= Q(user_id=other, token_saved_at=saved_at)
    if not same_account:
        return {}
    theirs: dict[int, tuple] = {}
    for sid, name, first, last in (
        SeenServer.objects.filter(same_account)
        .exclude(server_id__in=mine.values("server_id"))
        .values_list("server_id", "name", "first_seen_at", "last_seen_at")
    ):
        held = theirs.get(sid)
        if held is None or last > held[2]:
            theirs[sid] = (name, first, last)
    if not theirs:
        return {}
    SeenServer.objects.bulk_create(
        [
            SeenServer(
                user=user,
                token_saved_at=token_saved_at,
                server_id=sid,
                name=name,
                first_seen_at=first,
                last_seen_at=last,
            )
            for sid, (name, first, last) in theirs.items()
        ],
        ignore_conflicts=True,
    )
    return {sid: name for sid, (name, _first, _last) in theirs.items() if sid not in known}
