"""The Backups API client: the only code that speaks HTTP to the provider."""

from .client import BackupsClient, Created, Restored
from .errors import BadRequest, BadResponse, NotFound, Unauthorized, Unavailable, UpstreamError
from .models import IN_PROGRESS, Backup, Listing, Server

__all__ = [
    "IN_PROGRESS",
    "Backup",
    "BackupsClient",
    "BadRequest",
    "BadResponse",
    "Created",
    "Listing",
    "NotFound",
    "Restored",
    "Server",
    "Unauthorized",
    "Unavailable",
    "UpstreamError",
]
