"""One server's story, worked out from the one list: a calendar of its last 90 days, the size of
its completed backups over time, and which backups are odd (far from the server's usual size:
often the only sign that a dump silently broke)."""

from bisect import bisect_left, insort
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import attrgetter
from zoneinfo import ZoneInfo

from django.conf import settings

from backupsui.upstream import Backup

CALENDAR_DAYS = 90
USUAL_OF = 10  # the median of this many previous completed backups of the same type
STUCK_AFTER = 5  # exactly the same size as this many before it: a stuck dump

COMPLETED, FAILED, NOTHING, RUNNING = "completed", "failed", "nothing", "running"


@dataclass(slots=True)
class Day:
    day: date
    state: str  # COMPLETED (at least one), FAILED (only failures), RUNNING, or NOTHING
    completed: int = 0
    failed: int = 0


@dataclass(slots=True)
class Odd:
    """Why a completed backup is odd: its size against the usual (the median before it)."""

    backup: Backup
    usual_mb: float
    stuck: bool = False

    @property
    def ratio(self) -> float:
        return self.backup.size_mb / self.usual_mb if self.usual_mb else 0.0

    @property
    def percent(self) -> int:
        """How far from usual, in whole percent (62 for 62 % smaller or larger)."""
        return round(abs(1 - self.ratio) * 100)

    @property
    def smaller(self) -> bool:
        return self.ratio < 1


def of_server(backups: list[Backup], server_id: int) -> list[Backup]:
    """The server's backups, oldest first."""
    return sorted((b for b in backups if b.server.id == server_id), key=lambda b: b.created_at)


def calendar(backups: list[Backup], today: date, zone: ZoneInfo) -> list[Day]:
    """One day a cell for the last CALENDAR_DAYS days up to `today` (days in `zone`), oldest
    first; `backups` are one server's."""
    first = today - timedelta(days=CALENDAR_DAYS - 1)
    days = {
        first + timedelta(days=n): Day(first + timedelta(days=n), NOTHING)
        for n in range(CALENDAR_DAYS)
    }
    for backup in backups:
        cell = days.get(backup.created_at.astimezone(zone).date())
        if cell is None:
            continue
        if backup.status == "completed":
            cell.completed += 1
        elif backup.status == "failed":
            cell.failed += 1
        elif backup.status == "in_progress" and cell.state == NOTHING:
            cell.state = RUNNING
    for cell in days.values():
        if cell.completed:
            cell.state = COMPLETED
        elif cell.failed:
            cell.state = FAILED
    return list(days.values())


def odd_backups(backups: list[Backup]) -> dict[int, Odd]:
    """Backup id → why it is odd, for one server's backups (any order): a completed backup
    at most BACKUPSUI_SIZE_LOW or at least BACKUPSUI_SIZE_HIGH times the median of the
    previous USUAL_OF completed backups of its type, or exactly the size of the previous
    STUCK_AFTER. What judge() says of each, worked out in one pass per type: the previous
    sizes kept sorted as they slide, the run of equal sizes counted (a report over 1,000
    servers judges a hundred thousand backups)."""
    found: dict[int, Odd] = {}
    low, high = settings.BACKUPSUI_SIZE_LOW, settings.BACKUPSUI_SIZE_HIGH
    by_type: dict[str, list[Backup]] = {}
    for backup in backups:
        if backup.status == "completed" and backup.size_mb is not None:
            by_type.setdefault(backup.backup_type or "", []).append(backup)
    for theirs in by_type.values():
        theirs.sort(key=_by_time)
        window: list[float] = []  # the previous USUAL_OF sizes, sorted
        last, run = None, 0  # the previous size, and how many in a row had it
        for number, backup in enumerate(theirs):
            size = backup.size_mb
            count = len(window)
            if count:
                middle = count // 2
                usual = window[middle] if count % 2 else (window[middle - 1] + window[middle]) / 2
                stuck = size == last and run >= STUCK_AFTER
                if stuck or (usual and (size <= low * usual or size >= high * usual)):
                    found[backup.id] = Odd(backup, usual, stuck)
            run = run + 1 if size == last else 1
            last = size
            insort(window, size)
            if count == USUAL_OF:  # the oldest of the window leaves it
                del window[bisect_left(window, theirs[number - USUAL_OF].size_mb)]
    return found


_by_time = attrgetter("created_at", "id")


def judge(backup: Backup, before: list[float], bounds: tuple | None = None) -> Odd | None:
    """Whether a completed backup is odd, given the sizes of the completed backups of its
    server and type taken before it, oldest first; `bounds`: (low, high), the settings'
    unless given. (A report judges a hundred thousand backups: no statistics.median.)"""
    previous = before[-USUAL_OF:]
    count = len(previous)
    if not count:
        return None
    ordered = sorted(previous)
    middle = count // 2
    usual = ordered[middle] if count % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    size = backup.size_mb
    stuck = count >= STUCK_AFTER and previous[-STUCK_AFTER:].count(size) == STUCK_AFTER
    low, high = bounds or (settings.BACKUPSUI_SIZE_LOW, settings.BACKUPSUI_SIZE_HIGH)
    if stuck or (usual and (size <= low * usual or size >= high * usual)):
        return Odd(backup, usual, stuck)
    return None


@dataclass(slots=True)
class Chart:
    """Completed backups' sizes over time, as points in a 0–WIDTH × 0–HEIGHT box."""

    WIDTH = 600
    HEIGHT = 160
    series: dict[str, list[tuple[float, float, Backup]]] = field(default_factory=dict)
    top_mb: float = 0
    start: datetime | None = None
    end: datetime | None = None

    def lines(self) -> dict[str, str]:
        """Each type's points as an SVG polyline's `points`."""
        return {
            kind: " ".join(f"{x:.1f},{y:.1f}" for x, y, _b in points)
            for kind, points in self.series.items()
        }


def size_chart(backups: list[Backup], start: datetime, end: datetime) -> Chart:
    """The sizes of one server's completed backups taken between `start` and `end`, by type."""
    shown = [
        b
        for b in backups
        if b.status == "completed" and b.size_mb is not None and start <= b.created_at <= end
    ]
    chart = Chart(start=start, end=end)
    chart.top_mb = max((b.size_mb for b in shown), default=0)
    span = (end - start).total_seconds() or 1
    for backup in sorted(shown, key=lambda b: b.created_at):
        x = (backup.created_at - start).total_seconds() / span * Chart.WIDTH
        y = Chart.HEIGHT - (backup.size_mb / chart.top_mb * Chart.HEIGHT if chart.top_mb else 0)
        chart.series.setdefault(backup.backup_type or "", []).append((x, y, backup))
    return chart
