"""What a plan would do, shown before it is saved: its next runs, what its rules keep and
let go of its backups in the current list, and twelve weeks of its schedule played out (as
Proxmox's prune simulator does)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

from backupsui.upstream import Backup, Server

from .retention import Decision, Rules, decide
from .schedule import next_runs

SIMULATED_WEEKS = 12
SIMULATED_MAX = 5000  # slots played out at most (an every-minute plan has 120,960)


def upcoming(schedule: str, zone: str, now: datetime) -> list[datetime] | None:
    try:
        return next_runs(schedule, zone, now)
    except (CronSimError, ValueError, KeyError):
        return None


def on_the_list(backups, made: set[int], kept: set[int], rules: Rules, zone: str):
    """The plan's own backups in the list, each with what the rules say, newest first."""
    decisions = decide(backups, made, kept, rules, zone)
    mine = [d for d in decisions if d.backup.id in made]
    mine.sort(key=lambda d: (d.backup.created_at, d.backup.id), reverse=True)
    return mine


@dataclass
class Simulation:
    made: int
    kept: list[Decision]
    cut: bool  # more slots than were played out


def simulate(schedule: str, zone: str, rules: Rules, now: datetime) -> Simulation | None:
    """The schedule's next twelve weeks on one server, each slot's backup completed, and the
    rules applied at the end: how many are left and which."""
    try:
        slots = CronSim(schedule, now.astimezone(ZoneInfo(zone)))
        until = now + timedelta(weeks=SIMULATED_WEEKS)
        taken = [s for s in islice(slots, SIMULATED_MAX + 1) if s <= until]
    except (CronSimError, ValueError, KeyError):
        return None
    cut = len(taken) > SIMULATED_MAX
    server = Server(id=1, name="")
    backups = [
        Backup(id=n + 1, server=server, status="completed", created_at=slot.astimezone(UTC))
        for n, slot in enumerate(taken[:SIMULATED_MAX])
    ]
    made = {b.id for b in backups}
    kept = [d for d in decide(backups, made, set(), rules, zone) if d.keep]
    kept.sort(key=lambda d: d.backup.created_at, reverse=True)
    return Simulation(made=len(backups), kept=kept, cut=cut)
