"""A report to file, for a chosen period, per server: completed and failed backups, the longest
time without a completed backup, odd backups, and the restores and deletions with who did
them; the period's totals at the top. Worked out from the one list and the audit trail."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from backupsui.audit.models import Action, AuditEvent
from backupsui.upstream import Backup

from .story import odd_backups

RESTORES = (Action.RESTORE_REQUESTED, Action.SAFE_RESTORE_REQUESTED)
DELETIONS = (Action.BACKUP_DELETED,)


@dataclass
class ServerReport:
    id: int
    name: str
    completed: int = 0
    failed: int = 0
    longest_gap: timedelta = timedelta(0)
    odd: int = 0
    restores: list = field(default_factory=list)  # audit events
    deletions: list = field(default_factory=list)

    @property
    def gap_hours(self) -> int:
        return int(self.longest_gap.total_seconds() // 3600)


@dataclass
class Report:
    start: datetime
    end: datetime
    servers: list[ServerReport]

    def total(self, name: str) -> int:
        return sum(
            len(value) if isinstance(value, list) else value
            for value in (getattr(s, name) for s in self.servers)
        )

    @property
    def totals(self) -> dict:
        names = ("completed", "failed", "odd", "restores", "deletions")
        found = {name: self.total(name) for name in names}
        found["servers"] = len(self.servers)
        found["never_completed"] = sum(1 for s in self.servers if not s.completed)
        return found


def longest_gap(times: list[datetime], start: datetime, end: datetime) -> timedelta:
    """The longest stretch of the period without a completed backup."""
    edges = [start, *sorted(times), end]
    return max(later - earlier for earlier, later in zip(edges, edges[1:], strict=False))


def build(backups: list[Backup], events, start: datetime, end: datetime) -> Report:
    """`events`: the audit events of the period the reader may see (restores, deletions)."""
    servers: dict[int, ServerReport] = {}
    by_server: dict[int, list[Backup]] = {}
    for backup in backups:
        by_server.setdefault(backup.server.id, []).append(backup)
        servers.setdefault(backup.server.id, ServerReport(backup.server.id, backup.server.name))
    for server_id, theirs in by_server.items():
        report = servers[server_id]
        within = [b for b in theirs if start <= b.created_at < end]
        completed = [b.created_at for b in within if b.status == "completed"]
        report.completed = len(completed)
        report.failed = sum(1 for b in within if b.status == "failed")
        report.longest_gap = longest_gap(completed, start, end)
        report.odd = sum(
            1 for odd in odd_backups(theirs).values() if start <= odd.backup.created_at < end
        )
    for event in events:
        if event.server_id is None:
            continue
        report = servers.get(event.server_id)
        if report is None:
            report = servers[event.server_id] = ServerReport(
                event.server_id, event.server_name, longest_gap=end - start
            )
        (report.restores if event.action in RESTORES else report.deletions).append(event)
    ordered = sorted(servers.values(), key=lambda s: (s.name.casefold(), s.id))
    return Report(start, end, ordered)


def for_person(account, start: datetime, end: datetime) -> Report:
    """The report as `account`'s person may see it (their list, the audit events they may
    read): the page, its CSV and the weekly email all come from here. Raises UpstreamError."""
    listed = account.backups()
    events = (
        AuditEvent.objects.visible_to(account.user)
        .filter(created_at__gte=start, created_at__lt=end, action__in=RESTORES + DELETIONS)
        .order_by("created_at")
    )
    return build(listed.backups, events, start, end)
