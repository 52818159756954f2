"""record(): an audit event written before the upstream call and finished after it.

An UpstreamError finishes the event as failed (or unknown, where a change may have happened);
any other exception leaves it pending: on record, never missing.
"""

import json
import logging
from contextlib import contextmanager

from django.utils import timezone

from backupsui.upstream import UpstreamError

from .models import FIELD_NAMES, AuditEvent, Outcome

MESSAGE_MAX = 2000
logger = logging.getLogger("backupsui.audit")


def _clean(value):
    if isinstance(value, str):
        return value.replace("\r", " ").replace("\n", " ")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def log_line(event: AuditEvent) -> str:
    """The event as one JSON line, for whatever collects the logs."""
    return json.dumps(
        {name: _clean(getattr(event, name)) for name in FIELD_NAMES}, ensure_ascii=False
    )


def _request_facts(request) -> dict:
    if request is None:  # a management command
        return {
            "actor": None,
            "actor_username": "",
            "remote_addr": None,
            "user_agent": "manage.py",
            "request_id": "",
        }
    user = getattr(request, "user", None)
    actor = user if user is not None and user.is_authenticated else None
    return {
        "actor": actor,
        "actor_username": actor.get_username() if actor else "",
        "remote_addr": request.META.get("REMOTE_ADDR") or None,
        "user_agent": request.headers.get("User-Agent", "")[:300],
        "request_id": getattr(request, "request_id", ""),
    }


def start(request, action, **facts) -> AuditEvent:
    values = _request_facts(request)
    values.update(facts)
    # What users typed or upstream sent is cut to the columns' sizes.
    values["server_name"] = (values.get("server_name") or "")[:255]
    values["actor_username"] = values["actor_username"][:150]
    event = AuditEvent.objects.create(action=action, **values)
    logger.info(log_line(event))
    return event


def finish(event: AuditEvent, outcome: str, *, status=None, message="") -> AuditEvent:
    event.outcome = outcome
    event.upstream_status = status
    event.message = str(message)[:MESSAGE_MAX]
    event.finished_at = timezone.now()
    event.save()
    logger.info(log_line(event))
    return event


def note(request, action, outcome=Outcome.SUCCEEDED, *, message="", **facts) -> AuditEvent:
    """An event that is complete as soon as it is written (sign-in, token removed, a 403)."""
    event = start(request, action, **facts)
    return finish(event, outcome, message=message)


@contextmanager
def record(request, action, **facts):
    event = start(request, action, **facts)
    try:
        yield event
    except UpstreamError as error:
        outcome = Outcome.UNKNOWN if error.outcome_unknown else Outcome.FAILED
        finish(event, outcome, status=error.status, message=error.message)
        raise
    if event.outcome == Outcome.PENDING:
        finish(event, Outcome.SUCCEEDED, status=event.upstream_status, message=event.message)
