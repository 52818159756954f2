"""The Backups API client: the only code that speaks HTTP to the provider."""

from .client import BackupsClient, Created, Restored
from .errors import BadRequest, BadResponse, NotFound, Unauthorized, Unavailable, UpstreamError
from .types import (
    IN_PROGRESS,
    TYPES,
    Backup,
    Listing,
    Server,
    Sizes,
    size_text,
    status_label,
    type_label,
)

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
    "TYPES",
    "Unauthorized",
    "Unavailable",
    "UpstreamError",
    "Sizes",
    "size_text",
    "status_label",
    "type_label",
]
