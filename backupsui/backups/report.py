"""A report to file, for a chosen period, per server: completed and failed backups, the longest
time without a completed backup, odd backups, and the restores and deletions with who did
them; the period's totals at the top. Worked out from the one list and the audit trail.

A restore counts once, however many events it wrote: a restore job (a safety backup, then the
restore, perhaps sent again after a failed call, or cancelled) is one restore, counted in the
period it was asked for in, by how it ended: done, failed, refused (the API said no) or
cancelled; one still under way, or whose outcome nobody knows yet, is counted apart. How a job
ended is the jobs app's to say (it registers `job_outcomes_from`); without it, the job's events
say what they can."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy

from backupsui.audit.models import Action, AuditEvent, Outcome
from backupsui.upstream import Backup

from .story import odd_backups

RESTORES = (Action.RESTORE_REQUESTED, Action.SAFE_RESTORE_REQUESTED, Action.RESTORE_CANCELLED)
DELETIONS = (Action.BACKUP_DELETED,)

# How a restore ended, in the order the report shows them.
DONE, FAILED, REFUSED, CANCELLED, RUNNING, UNKNOWN = (
    "done",
    "failed",
    "refused",
    "cancelled",
    "running",
    "unknown",
)
ENDINGS = {
    DONE: gettext_lazy("Done"),
    FAILED: gettext_lazy("Failed"),
    REFUSED: gettext_lazy("Refused"),
    CANCELLED: gettext_lazy("Cancelled"),
    RUNNING: gettext_lazy("Under way"),
    UNKNOWN: gettext_lazy("Outcome unknown"),
}
# A direct restore's event: how the API answered it.
BY_EVENT = {
    Outcome.ACCEPTED: DONE,
    Outcome.REFUSED: REFUSED,
    Outcome.FAILED: FAILED,
    Outcome.PENDING: UNKNOWN,
    Outcome.UNKNOWN: UNKNOWN,
}

_job_providers: list[Callable[[Iterable[int]], dict[int, str]]] = []


def job_outcomes_from(provider: Callable[[Iterable[int]], dict[int, str]]):
    """Registers what says how restore jobs ended (job id → one of ENDINGS' keys)."""
    _job_providers.append(provider)
    return provider


def job_outcomes(job_ids: Iterable[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    wanted = list(job_ids)
    for provider in _job_providers:
        found.update(provider(wanted))
    return found


@dataclass
class Restore:
    """One restore: asked for once, however many events it wrote."""

    created_at: datetime
    actor_username: str
    backup_id: int | None
    outcome: str  # a key of ENDINGS
    job_id: int | None = None

    def get_action_display(self) -> str:
        action = Action.SAFE_RESTORE_REQUESTED if self.job_id else Action.RESTORE_REQUESTED
        return str(action.label)

    def get_outcome_display(self) -> str:
        return str(ENDINGS[self.outcome])


def _from_events(events: list) -> str:
    """How a job ended, as far as its events in the period say (no jobs app to ask)."""
    if any(e.action == Action.RESTORE_CANCELLED for e in events):
        return CANCELLED
    sent = [e for e in events if e.action == Action.RESTORE_REQUESTED]
    return BY_EVENT.get(sent[-1].outcome, UNKNOWN) if sent else RUNNING


def restores_in(events, jobs: dict[int, str] | None = None) -> list[tuple[int, str, Restore]]:
    """(server id, server name, restore) for each restore asked for among `events` (oldest
    first): a job's events make one, counted where its safety restore was asked for; a
    direct restore's event is one. `jobs`: how jobs ended (job id → ending)."""
    jobs = jobs or {}
    found, by_job = [], {}
    for event in events:
        if event.action not in RESTORES or event.server_id is None:
            continue
        if event.job_id:
            by_job.setdefault(event.job_id, []).append(event)
        elif event.action == Action.RESTORE_REQUESTED:
            ending = BY_EVENT.get(event.outcome, UNKNOWN)
            restore = Restore(event.created_at, event.actor_username, event.backup_id, ending)
            found.append((event.server_id, event.server_name, restore))
    for job_id, theirs in by_job.items():
        asked = next((e for e in theirs if e.action == Action.SAFE_RESTORE_REQUESTED), None)
        if asked is None:
            continue  # asked for in an earlier period: counted there
        ending = jobs.get(job_id) or _from_events(theirs)
        restore = Restore(asked.created_at, asked.actor_username, asked.backup_id, ending, job_id)
        found.append((asked.server_id, asked.server_name, restore))
    found.sort(key=lambda item: item[2].created_at)
    return found


@dataclass
class ServerReport:
    id: int
    name: str
    completed: int = 0
    failed: int = 0
    longest_gap: timedelta = timedelta(0)
    odd: int = 0
    restores: list = field(default_factory=list)  # Restore, one per restore
    deletions: list = field(default_factory=list)  # audit events

    @property
    def gap_hours(self) -> int:
        return int(self.longest_gap.total_seconds() // 3600)


@dataclass
class Report:
    start: datetime  # the first day's start
    end: datetime  # the day after the last day's start
    servers: list[ServerReport]

    @property
    def last_day(self) -> datetime:
        """The period's last day (the dates asked for are inclusive: `end` is the next
        day's midnight)."""
        return self.end - timedelta(days=1)

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
        endings = dict.fromkeys(ENDINGS, 0)
        for server in self.servers:
            for restore in server.restores:
                endings[restore.outcome] += 1
        found.update({f"restores_{ending}": count for ending, count in endings.items()})
        return found


def longest_gap(times: list[datetime], start: datetime, end: datetime) -> timedelta:
    """The longest stretch of the period without a completed backup."""
    edges = [start, *sorted(times), end]
    return max(later - earlier for earlier, later in zip(edges, edges[1:], strict=False))


def build(
    backups: list[Backup], events, start: datetime, end: datetime, jobs: dict | None = None
) -> Report:
    """`events`: the audit events of the period the reader may see (restores, deletions),
    oldest first; `jobs`: how the restore jobs among them ended (job id → ending)."""
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

    def of(server_id: int, name: str) -> ServerReport:
        if server_id not in servers:
            servers[server_id] = ServerReport(server_id, name, longest_gap=end - start)
        return servers[server_id]

    events = list(events)
    for server_id, name, restore in restores_in(events, jobs):
        of(server_id, name).restores.append(restore)
    for event in events:
        if event.server_id is not None and event.action in DELETIONS:
            of(event.server_id, event.server_name).deletions.append(event)
    ordered = sorted(servers.values(), key=lambda s: (s.name.casefold(), s.id))
    return Report(start, end, ordered)


def for_person(account, start: datetime, end: datetime) -> Report:
    """The report as `account`'s person may see it (their list, the audit events they may
    read): the page, its CSV and the weekly email all come from here. Raises UpstreamError."""
    listed = account.backups()
    events = list(
        AuditEvent.objects.visible_to(account.user)
        .filter(created_at__gte=start, created_at__lt=end, action__in=RESTORES + DELETIONS)
        .order_by("created_at", "id")
    )
    jobs = job_outcomes({event.job_id for event in events if event.job_id})
    return build(listed.backups, events, start, end, jobs)
