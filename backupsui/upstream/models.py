"""Typed results of the Backups API, decoded and checked in one pass by msgspec: a list of
10,000 backups is on the list page's hot path. Unknown fields are ignored, unknown statuses
kept as they came, nulls kept where the document allows them."""

from datetime import UTC, datetime

import msgspec

from .errors import BadResponse

IN_PROGRESS = "in_progress"
COMPLETED = "completed"


# gc=False: these hold only numbers, text and times, never cycles, so the garbage collector
# need not walk the tens of thousands of them a large account's list is made of.
class Server(msgspec.Struct, gc=False):
    id: int
    name: str | None = ""


class Backup(msgspec.Struct, kw_only=True, gc=False):
    id: int
    server: Server
    backup_type: str | None = ""
    status: str | None = ""
    size_mb: int | float | None = None
    created_at: datetime
    expires_at: datetime | None = None
    description: str | None = ""

    @property
    def in_progress(self) -> bool:
        return self.status == IN_PROGRESS


class _Listing(msgspec.Struct):
    results: list[Backup]


class _Created(Backup, kw_only=True, gc=False):
    message: str | None = None


_list_decoder = msgspec.json.Decoder(_Listing)
_created_decoder = msgspec.json.Decoder(_Created)
_any_decoder = msgspec.json.Decoder()


def _tidy(backups: list) -> list:
    """Nulls where text belongs become empty text; a time without a zone is UTC."""
    for backup in backups:
        if backup.description is None:
            backup.description = ""
        if backup.status is None:
            backup.status = ""
        if backup.backup_type is None:
            backup.backup_type = ""
        if backup.server.name is None:
            backup.server.name = ""
        if backup.created_at.tzinfo is None:
            backup.created_at = backup.created_at.replace(tzinfo=UTC)
        if backup.expires_at is not None and backup.expires_at.tzinfo is None:
            backup.expires_at = backup.expires_at.replace(tzinfo=UTC)
    return backups


def parse_list(raw: bytes) -> list[Backup]:
    try:
        return _tidy(_list_decoder.decode(raw).results)
    except msgspec.MsgspecError:
        raise BadResponse(status=200) from None


def parse_created(raw: bytes) -> tuple[Backup, str]:
    """The answer to a create: the new backup, and the upstream's message if any."""
    try:
        created = _created_decoder.decode(raw)
    except msgspec.MsgspecError:
        raise BadResponse(status=201) from None
    _tidy([created])
    return created, created.message or ""


def parse_any(raw: bytes):
    """Any JSON (an error body, say), or None when it is not JSON."""
    try:
        return _any_decoder.decode(raw) if raw else None
    except msgspec.MsgspecError:
        return None
