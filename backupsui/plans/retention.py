"""Which of a plan's backups its retention rules keep, and which they let go: Proxmox Backup
Server's prune, as its documentation describes it.

The rules are applied in order: keep-last, -hourly, -daily, -weekly, -monthly, -yearly. Each
keeps the newest backup of each of its last N periods (hours, days, ISO weeks, months, years in
the plan's time zone) that have backups; a period already covered by a backup an earlier rule
kept does not count again, and a backup in a period its rule already keeps is let go. With no
rule at all, everything is kept (as PBS does). Whatever the rules say, the panel never deletes a
server's newest completed backup (of any type), a backup someone marked kept, anything not
completed, or anything the plan did not make. Pure: no database, no clock, no API."""

from dataclasses import dataclass, fields
from operator import attrgetter
from zoneinfo import ZoneInfo

import msgspec

from backupsui.upstream import Backup

RULES = ("last", "hourly", "daily", "weekly", "monthly", "yearly")

# Why a backup is kept or let go (English codes; the pages say them in the reader's words).
KEPT_BY_RULE = "rule"
NEWEST = "newest"
MARKED_KEPT = "marked"
NOT_COMPLETED = "not_completed"
NOT_THE_PLANS = "not_the_plans"
NO_RULES = "no_rules"
SAME_PERIOD = "same_period"  # let go: its rule keeps a newer backup of the same period
BEYOND = "beyond"  # let go: older than every rule reaches


@dataclass(frozen=True)
class Rules:
    last: int = 0
    hourly: int = 0
    daily: int = 0
    weekly: int = 0
    monthly: int = 0
    yearly: int = 0

    def __post_init__(self):
        for field in fields(self):
            if getattr(self, field.name) < 0:
                raise ValueError(f"keep-{field.name} must not be negative")

    def given(self) -> list[tuple[str, int]]:
        """The rules in force, in the order they apply: ("daily", 7), …"""
        return [(name, getattr(self, name)) for name in RULES if getattr(self, name)]

    def __str__(self) -> str:
        return ", ".join(f"keep-{name} {count}" for name, count in self.given())

    def __bool__(self) -> bool:
        """Whether any rule is in force (none: the plan keeps everything)."""
        return bool(self.given())


class Decision(msgspec.Struct, gc=False):
    """Keep or let go one backup, and why; `rule` is the rule that keeps it, or that reached
    it ("keep-daily 7"). Untracked by the garbage collector (no cycles), like the backups:
    a hundred thousand are made in one decision."""

    backup: Backup
    keep: bool
    why: str
    rule: str = ""

    @property
    def said(self) -> str:
        """In English, for the audit trail: "kept by keep-daily 7", "not kept: beyond …"."""
        if self.why == KEPT_BY_RULE:
            return f"kept by {self.rule}"
        if self.why == SAME_PERIOD:
            return f"not kept: {self.rule} keeps a newer backup of the same period"
        if self.why == BEYOND:
            return f"not kept: beyond {self.rule}"
        return {
            NEWEST: "kept: the server's newest completed backup",
            MARKED_KEPT: "kept: marked kept",
            NOT_COMPLETED: "kept: not completed",
            NOT_THE_PLANS: "kept: not made by this plan",
            NO_RULES: "kept: no retention rules",
        }[self.why]


def _periods(name: str, local: list) -> list[int]:
    """Each time's period as a number, from times in the plan's zone: days by their ordinal,
    hours within them, ISO weeks (Monday to Sunday: day 1 of the ordinals is a Monday),
    months, years."""
    if name == "hourly":
        return [t.toordinal() * 24 + t.hour for t in local]
    if name == "daily":
        return [t.toordinal() for t in local]
    if name == "weekly":
        return [(t.toordinal() - 1) // 7 for t in local]
    if name == "monthly":
        return [t.year * 12 + t.month for t in local]
    return [t.year for t in local]


newest_first = attrgetter("created_at", "id")
_by_id, _by_time = attrgetter("id"), attrgetter("created_at")


def decide(
    backups,
    made: set[int] | frozenset[int],
    kept: set[int] | frozenset[int],
    rules: Rules,
    zone: ZoneInfo | str = "UTC",
) -> list[Decision]:
    """One decision for each backup given (the whole list, every server): keep or let go,
    and why. `made` holds the ids of the backups the plan made, `kept` those marked kept."""
    if isinstance(zone, str):
        zone = ZoneInfo(zone)
    given = rules.given()
    decisions: list[Decision] = []
    keep = decisions.append
    by_server: dict[int, list[Backup]] = {}
    for backup in backups:
        if backup.status != "completed":
            keep(Decision(backup, True, NOT_COMPLETED))
        elif backup.id not in made:
            keep(Decision(backup, True, NOT_THE_PLANS))
        elif backup.id in kept:
            keep(Decision(backup, True, MARKED_KEPT))
        else:
            server = backup.server.id
            group = by_server.get(server)
            if group is None:
                by_server[server] = [backup]
            else:
                group.append(backup)
    for candidates in by_server.values():
        decisions.extend(_prune(candidates, given, zone))
    return decisions


def _prune(candidates: list[Backup], given, zone) -> list[Decision]:
    """The rules over one server's candidates. The newest of them, if it is the server's
    newest completed backup, is kept by the first rule: and kept as the newest in any case."""
    if not given:
        return [Decision(b, True, NO_RULES) for b in candidates]
    # Newest first, the larger id first at the same moment (two stable sorts on one field
    # each: quicker than one on pairs).
    candidates.sort(key=_by_id, reverse=True)
    candidates.sort(key=_by_time, reverse=True)
    count_all = len(candidates)
    marks: list[Decision | None] = [None] * count_all
    local = None
    for name, count in given:
        rule = f"keep-{name} {count}"
        if name == "last":
            for at in range(min(count, count_all)):
                marks[at] = Decision(candidates[at], True, KEPT_BY_RULE, rule)
            continue
        if local is None:
            local = [b.created_at.astimezone(zone) for b in candidates]
        keys = _periods(name, local)
        covered = {keys[at] for at, mark in enumerate(marks) if mark is not None and mark.keep}
        chosen: set = set()
        for at in range(count_all):
            if marks[at] is not None:
                continue
            here = keys[at]
            if here in covered:
                continue
            if here in chosen:
                marks[at] = Decision(candidates[at], False, SAME_PERIOD, rule)
                continue
            if len(chosen) >= count:
                break
            chosen.add(here)
            marks[at] = Decision(candidates[at], True, KEPT_BY_RULE, rule)
    last_rule = f"keep-{given[-1][0]} {given[-1][1]}"
    for at in range(count_all):
        if marks[at] is None:
            marks[at] = Decision(candidates[at], False, BEYOND, last_rule)
    if not marks[0].keep:
        marks[0] = Decision(candidates[0], True, NEWEST)
    return marks


def to_delete(decisions: list[Decision]) -> list[Decision]:
    """What the rules let go, oldest first (a run that may delete only some starts there)."""
    going = [d for d in decisions if not d.keep]
    going.sort(key=lambda d: newest_first(d.backup))
    return going
