"""Typed results of the Backups API, parsed leniently: nulls kept, unknown statuses kept as
strings, unknown fields ignored. Parsing a list of 10,000 is on the list page's hot path."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .errors import BadResponse

IN_PROGRESS = "in_progress"
COMPLETED = "completed"
_NO_OFFSET = timedelta(0)
_fromisoformat = datetime.fromisoformat


@dataclass(slots=True)
class Server:
    id: int
    name: str


@dataclass(slots=True)
class Backup:
    id: int
    server: Server
    backup_type: str
    status: str
    size_mb: int | None
    created_at: datetime
    expires_at: datetime | None
    description: str

    @property
    def in_progress(self) -> bool:
        return self.status == IN_PROGRESS


def _moment(value) -> datetime:
    moment = _fromisoformat(value)  # TypeError or ValueError when it is not a timestamp
    offset = moment.utcoffset()
    if offset is None:  # naive times are documented as UTC
        return moment.replace(tzinfo=UTC)
    return moment if offset == _NO_OFFSET else moment.astimezone(UTC)


def _int(value) -> int:
    if value.__class__ is int:
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("not a number")
    return int(value)


def _text(value) -> str:
    if value is None:
        return ""
    return value if value.__class__ is str else str(value)


def _parse(item, servers: dict, moments: dict) -> Backup:
    # The common case (ints, strings, repeated timestamps) is checked inline: this runs
    # ten thousand times for one page of a large account.
    server = item["server"]
    key = (server["id"], server.get("name"))
    known = servers.get(key)
    if known is None:
        known = servers[key] = Server(_int(key[0]), _text(key[1]))
    backup_id = item["id"]
    if backup_id.__class__ is not int:
        backup_id = _int(backup_id)
    backup_type = item.get("backup_type")
    if backup_type.__class__ is not str:
        backup_type = _text(backup_type)
    status = item.get("status")
    if status.__class__ is not str:
        status = _text(status)
    size = item.get("size_mb")
    if size is not None and size.__class__ is not int:
        size = _int(size)
    description = item.get("description")
    if description.__class__ is not str:
        description = _text(description)
    # Daily schedules make the same timestamps recur across servers: parse each once.
    created = item["created_at"]
    created_at = moments.get(created)
    if created_at is None:
        created_at = moments[created] = _moment(created)
    expires = item.get("expires_at")
    if expires is not None:
        expires_at = moments.get(expires)
        if expires_at is None:
            expires_at = moments[expires] = _moment(expires)
    else:
        expires_at = None
    return Backup(backup_id, known, backup_type, status, size, created_at, expires_at, description)


def parse_backup(item) -> Backup:
    try:
        return _parse(item, {}, {})
    except (KeyError, TypeError, ValueError, AttributeError):
        raise BadResponse(status=200) from None


def parse_list(body) -> list[Backup]:
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise BadResponse(status=200)
    servers: dict = {}
    moments: dict = {}
    try:
        return [_parse(item, servers, moments) for item in body["results"]]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise BadResponse(status=200) from None
