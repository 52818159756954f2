"""Filtering, sorting and paging a list of backups on the panel's side."""

from django.utils.translation import gettext_lazy as _

from backupsui.upstream import Backup

from .cache import Entry

SORTS = {
    "-created": (_("Newest first"), lambda b: (b.created_at, b.id), True),
    "created": (_("Oldest first"), lambda b: (b.created_at, b.id), False),
    "-size": (_("Largest first"), lambda b: (b.size_mb or -1, b.id), True),
    "size": (_("Smallest first"), lambda b: (b.size_mb or -1, b.id), False),
    "server": (
        _("Server A–Z"),
        lambda b: (b.server.name.casefold(), b.server.id, -b.created_at.timestamp()),
        False,
    ),
    "-server": (
        _("Server Z–A"),
        lambda b: (b.server.name.casefold(), b.server.id, b.created_at.timestamp()),
        True,
    ),
}
DEFAULT_SORT = "-created"


def sorted_backups(entry: Entry, sort: str) -> list[Backup]:
    """The entry's backups in this order; each order is worked out once per entry."""
    if sort not in SORTS:
        sort = DEFAULT_SORT
    cached = entry.sorted_views.get(sort)
    if cached is None:
        _, key, reverse = SORTS[sort]
        cached = entry.sorted_views[sort] = sorted(entry.backups, key=key, reverse=reverse)
    return cached


def select(entry: Entry, *, status: str = "", q: str = "", sort: str = DEFAULT_SORT):
    backups = sorted_backups(entry, sort)
    if status:
        backups = [b for b in backups if b.status == status]
    if q:
        needle = q.casefold()
        backups = [
            b
            for b in backups
            if needle in b.description.casefold() or needle in b.server.name.casefold()
        ]
    return backups


def statuses(entry: Entry) -> list[str]:
    """The statuses to filter by: the usual three and any other the list holds."""
    found = entry.sorted_views.get("statuses")
    if found is None:
        known = {"in_progress", "completed", "failed"}
        found = entry.sorted_views["statuses"] = sorted(
            known | {b.status for b in entry.backups if b.status}
        )
    return found
