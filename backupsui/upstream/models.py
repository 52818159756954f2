"""Typed results of the Backups API, parsed leniently: nulls kept, unknown fields ignored."""

from dataclasses import dataclass
from datetime import UTC, datetime

from .errors import BadResponse

IN_PROGRESS = "in_progress"
COMPLETED = "completed"


@dataclass(frozen=True, slots=True)
class Server:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
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


def _datetime(value, name: str, nullable: bool) -> datetime | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise BadResponse(status=200) from None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadResponse(status=200) from None
    # Naive times are documented as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _int(value, nullable: bool = False) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadResponse(status=200)
    return int(value)


def parse_backup(item) -> Backup:
    if not isinstance(item, dict):
        raise BadResponse(status=200)
    server = item.get("server")
    if not isinstance(server, dict):
        raise BadResponse(status=200)
    try:
        description = item.get("description") or ""
        return Backup(
            id=_int(item["id"]),
            server=Server(id=_int(server["id"]), name=str(server.get("name") or "")),
            backup_type=str(item.get("backup_type") or ""),
            status=str(item.get("status") or ""),
            size_mb=_int(item.get("size_mb"), nullable=True),
            created_at=_datetime(item.get("created_at"), "created_at", nullable=False),
            expires_at=_datetime(item.get("expires_at"), "expires_at", nullable=True),
            description=description if isinstance(description, str) else str(description),
        )
    except KeyError:
        raise BadResponse(status=200) from None


def parse_list(body) -> list[Backup]:
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise BadResponse(status=200)
    return [parse_backup(item) for item in body["results"]]
