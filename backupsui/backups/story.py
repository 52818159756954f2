"""One server's story, worked out from the one list: a calendar of its last 90 days, the size of
its completed backups over time, and which backups are odd (far from the server's usual size:
often the only sign that a dump silently broke)."""

from bisect import bisect_left, insort
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from math import ceil, floor, log10
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
    """Completed backups' sizes over time, as points in a plot area of WIDTH × HEIGHT (SVG
    units) drawn inside a margin for the axes' labels: time across, from the day of the
    first backup shown to the end of the day of the last; size up, from a little below the
    smallest to a little above the largest (not from 0: a 7.8–9.5 GB server's points would
    all sit at the top). `x_ticks`: (x, day); `y_ticks`: (y, megabytes)."""

    WIDTH = 600
    HEIGHT = 180
    LEFT = 64  # room for the sizes' labels
    BOTTOM = 26  # room for the dates' labels
    TOP = 10
    RIGHT = 40  # half a date's label, at the last mark
    series: dict[str, list[tuple[float, float, Backup]]] = field(default_factory=dict)
    top_mb: float = 0
    low_mb: float = 0
    high_mb: float = 0
    start: datetime | None = None
    end: datetime | None = None
    x_ticks: list[tuple[float, date]] = field(default_factory=list)
    y_ticks: list[tuple[float, float]] = field(default_factory=list)

    @property
    def view_box(self) -> str:
        width = self.LEFT + self.WIDTH + self.RIGHT
        height = self.TOP + self.HEIGHT + self.BOTTOM
        return f"{-self.LEFT} {-self.TOP} {width} {height}"

    def lines(self) -> dict[str, str]:
        """Each type's points as an SVG polyline's `points`."""
        return {
            kind: " ".join(f"{x:.1f},{y:.1f}" for x, y, _b in points)
            for kind, points in self.series.items()
        }


# Steps between the size axis's marks, in MB: round numbers of GB once sizes reach a GB (so
# each mark reads exactly as the list writes sizes, "7.8 GB"), of MB below.
SIZE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500]
# Steps between the time axis's marks, in days.
DAY_STEPS = [1, 2, 7, 14, 28, 56]
MARKS = 4  # about this many marks on each axis


def size_scale(low: float, high: float) -> tuple[float, float, float]:
    """The size axis for sizes from `low` to `high` MB: (bottom, top, step), round numbers,
    the data inside with room above and below."""
    wanted = max((high - low) / MARKS, 1.0)
    magnitude = 10 ** floor(log10(wanted))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= wanted)
    if high >= 1000:
        step = max(step, 100)  # a tenth of a GB at least: "7.8 GB", never two "7.8 GB"
    bottom = max(0.0, floor(low / step) * step)
    top = ceil(high / step) * step
    if bottom == low and bottom > 0:
        bottom -= step
    if top == high:
        top += step
    return bottom, top, step


def size_chart(
    backups: list[Backup], start: datetime, end: datetime, zone: ZoneInfo | None = None
) -> Chart:
    """The sizes of one server's completed backups taken between `start` and `end`, by type,
    drawn over the days that have them (days in `zone`)."""
    zone = zone or ZoneInfo("UTC")
    shown = sorted(
        (
            b
            for b in backups
            if b.status == "completed" and b.size_mb is not None and start <= b.created_at <= end
        ),
        key=lambda b: b.created_at,
    )
    chart = Chart()
    if not shown:
        return chart
    first_day = shown[0].created_at.astimezone(zone).date()
    last_day = shown[-1].created_at.astimezone(zone).date()
    chart.start = datetime.combine(first_day, time.min, tzinfo=zone)
    chart.end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)
    sizes = [b.size_mb for b in shown]
    chart.top_mb = max(sizes)
    chart.low_mb, chart.high_mb, step = size_scale(min(sizes), max(sizes))
    span = (chart.end - chart.start).total_seconds()
    height = chart.high_mb - chart.low_mb

    def y_of(mb: float) -> float:
        return Chart.HEIGHT - (mb - chart.low_mb) / height * Chart.HEIGHT

    for backup in shown:
        x = (backup.created_at - chart.start).total_seconds() / span * Chart.WIDTH
        chart.series.setdefault(backup.backup_type or "", []).append(
            (x, y_of(backup.size_mb), backup)
        )
    mark = chart.low_mb
    while mark <= chart.high_mb + step / 2:
        chart.y_ticks.append((y_of(mark), mark))
        mark += step
    days = (last_day - first_day).days + 1
    every = next((d for d in DAY_STEPS if days / d <= MARKS), DAY_STEPS[-1])
    for n in range(0, days + 1, every):
        moment = datetime.combine(first_day + timedelta(days=n), time.min, tzinfo=zone)
        x = (moment - chart.start).total_seconds() / span * Chart.WIDTH
        chart.x_ticks.append((x, first_day + timedelta(days=n)))
    return chart
