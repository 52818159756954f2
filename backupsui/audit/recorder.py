"""record(): an audit event written before the upstream call and finished after it.

An UpstreamError finishes the event as refused (the API said no), failed (it was never
reached) or unknown (a change may have happened); any other exception leaves it pending, on
record, never missing, until `settle` says it was interrupted. Every write also goes out as
one JSON line on the `backupsui.audit` logger.
"""

import json
import logging
from contextlib import contextmanager

from django.utils import timezone

from backupsui.upstream import UpstreamError
from backupsui.words import english

from .actors import SYSTEM, Actor
from .models import FIELD_NAMES, AuditEvent, Outcome

MESSAGE_MAX = 2000
logger = logging.getLogger("backupsui.audit")
# Characters that some log collectors take for the end of a line; JSON may escape them.
LINE_BREAKS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _clean(value):
    if isinstance(value, str):
        return value.replace("\r", " ").replace("\n", " ")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def log_line(event: AuditEvent) -> str:
    """The event as one JSON line, for whatever collects the logs."""
    line = json.dumps(
        {name: _clean(getattr(event, name)) for name in FIELD_NAMES}, ensure_ascii=False
    )
    for char, escaped in LINE_BREAKS.items():
        line = line.replace(char, escaped)
    return line


def start(actor: Actor | None, action, **facts) -> AuditEvent:
    """A pending event: `actor` acts (None: the panel itself), `facts` say on what."""
    values = (actor or SYSTEM).facts()
    values.update(facts)
    # What people typed or the API sent is cut to the columns' sizes.
    for name in ("server_name", "backup_description"):
        values[name] = (values.get(name) or "")[:255]
    values["backup_type"] = (values.get("backup_type") or "")[:40]
    values["backup_status"] = (values.get("backup_status") or "")[:40]
    event = AuditEvent.objects.create(action=action, **values)
    logger.info(log_line(event))
    return event


def finish(event: AuditEvent, outcome: str, *, status=None, message="") -> AuditEvent:
    """Ends a pending event. If it was meanwhile settled as interrupted (the answer came
    later than any call may take), the real answer settles it now."""
    now = timezone.now()
    values = {
        "outcome": outcome,
        "upstream_status": status,
        "message": english(message)[:MESSAGE_MAX],
        "finished_at": now,
        "backup_id": event.backup_id,
        "server_name": (event.server_name or "")[:255],
    }
    if not AuditEvent.objects.move(event.pk, Outcome.PENDING, **values):
        values.update(settled_at=now, settled_by="its own answer arrived late")
        values.pop("finished_at")
        AuditEvent.objects.move(event.pk, Outcome.UNKNOWN, **values)
    event.refresh_from_db()
    logger.info(log_line(event))
    return event


def settle(event: AuditEvent, outcome: str, why: str, **values) -> bool:
    """Moves an open (pending or unknown) event on, keeping what it said first."""
    moved = AuditEvent.objects.move(
        event.pk,
        event.outcome,
        outcome=outcome,
        first_outcome=event.first_outcome or event.outcome,
        settled_at=timezone.now(),
        settled_by=why[:300],
        **values,
    )
    if moved:
        event.refresh_from_db()
        logger.info(log_line(event))
    return moved


def note(actor: Actor | None, action, outcome=Outcome.ACCEPTED, *, message="", **facts):
    """An event that is complete as soon as it is written (sign-in, token removed, a 403)."""
    event = start(actor, action, **facts)
    return finish(event, outcome, message=message)


def outcome_of(error: UpstreamError) -> str:
    if error.outcome_unknown:
        return Outcome.UNKNOWN
    if error.status is not None and 400 <= error.status < 500 and error.status != 429:
        return Outcome.REFUSED
    return Outcome.FAILED


@contextmanager
def record(actor: Actor | None, action, **facts):
    with carry(start(actor, action, **facts)) as event:
        yield event


@contextmanager
def carry(event: AuditEvent, said: str = ""):
    """Finishes a started event with how the upstream call inside the block ended; `said`
    (the panel's own note, such as a restore sent anyway) comes before the API's words."""
    try:
        yield event
    except UpstreamError as error:
        message = joined(said, error.message)
        finish(event, outcome_of(error), status=error.status, message=message)
        raise
    if event.outcome == Outcome.PENDING:
        message = joined(said, event.message)
        finish(event, Outcome.ACCEPTED, status=event.upstream_status, message=message)


def joined(*parts):
    """The parts in one message, in English (a lone part is kept as it is, lazy or not)."""
    present = [part for part in parts if part]
    if len(present) == 1:
        return present[0]
    return " ".join(english(part).strip() for part in present)
