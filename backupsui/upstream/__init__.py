"""The Backups API client: the only code that speaks HTTP to the provider."""

from .client import BackupsClient, Created, Restored
from .errors import BadRequest, BadResponse, NotFound, Unauthorized, Unavailable, UpstreamError
from .models import COMPLETED, IN_PROGRESS, Backup, Server

__all__ = [
    "COMPLETED",
    "IN_PROGRESS",
    "Backup",
    "BackupsClient",
    "BadRequest",
    "BadResponse",
    "Created",
    "NotFound",
    "Restored",
    "Server",
    "Unauthorized",
    "Unavailable",
    "UpstreamError",
]
