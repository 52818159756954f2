"""What the plans app, a floor above this one, tells the backups pages: which plans cover which
servers (how often each runs, when next), which plan made each backup and which backups are
marked kept. That app sets the hook when it starts (`facts_from`); this floor never imports it.
Without the hook nothing is covered or marked."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Cover:
    """A plan covering a server: a backup every `period`, the next run at `next`."""

    plan_id: int
    plan_name: str
    period: timedelta
    next: datetime | None


@dataclass(frozen=True, slots=True)
class Mark:
    """What plans say of one backup: the plan that made it, if one did, and whether it is
    marked kept."""

    plan_id: int | None = None
    plan_name: str = ""
    kept: bool = False


UNMARKED = Mark()


class PlanFacts(Protocol):
    def covering(self, servers: dict[int, str]) -> dict[int, list[Cover]]:
        """Server id → the plans covering it, shortest period first (servers: id → name)."""

    def marks(self, backup_ids: list[int]) -> dict[int, Mark]:
        """Backup id → its mark, for the backups plans say something of (one query)."""


_facts: PlanFacts | None = None


def facts_from(provider: PlanFacts | None) -> None:
    """Set by the plans app when it starts."""
    global _facts  # noqa: PLW0603 - one provider per process, set once at start
    _facts = provider


def covering(servers: dict[int, str]) -> dict[int, list[Cover]]:
    if _facts is None or not servers:
        return {}
    return _facts.covering(servers)


def marks(backup_ids: list[int]) -> dict[int, Mark]:
    if _facts is None or not backup_ids:
        return {}
    return _facts.marks(backup_ids)
