"""Each audit event, written or finished, also goes out as one JSON line."""

import json
import logging

logger = logging.getLogger("backupsui.audit")

FIELDS = (
    "id",
    "created_at",
    "finished_at",
    "actor_username",
    "remote_addr",
    "user_agent",
    "request_id",
    "action",
    "server_id",
    "server_name",
    "backup_id",
    "outcome",
    "upstream_status",
    "message",
)


def _clean(value):
    if isinstance(value, str):
        return value.replace("\r", " ").replace("\n", " ")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def event_line(event) -> str:
    return json.dumps(
        {name: _clean(getattr(event, name)) for name in FIELDS}, ensure_ascii=False, sort_keys=False
    )


def log_event(event) -> None:
    logger.info(event_line(event))
