"""The panel's log lines, for the panel, its workers and gunicorn alike: one JSON object per line
(BACKUPSUI_LOG_FORMAT=json, the default with DJANGO_DEBUG off; a traceback is a field of its
object, never lines of its own) or readable lines (`plain`, the default under `make run`).
Every line written while a request is handled carries its request id (the X-Request-ID the
panel answers with, shown on the 500 page) and the signed-in person's user id.

Importable without Django configured: gunicorn.conf.py reads it in gunicorn's master."""

import contextvars
import logging
import os
from datetime import UTC, datetime

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

FORMATS = ("json", "plain")
_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "backupsui_log", default=None
)


def log_format(debug: bool, environ=os.environ) -> str:
    """BACKUPSUI_LOG_FORMAT, or json unless debug is on. A wrong value stops the start."""
    chosen = environ.get("BACKUPSUI_LOG_FORMAT", "").strip().lower()
    chosen = chosen or ("plain" if debug else "json")
    if chosen not in FORMATS:
        raise ValueError(f"BACKUPSUI_LOG_FORMAT must be one of: {', '.join(FORMATS)}.")
    return chosen


# What a request's lines carry ------------------------------------------------------------


def begin(request_id: str) -> None:
    """A request starts: its lines carry its id (and, once known, its person's)."""
    _context.set({"request_id": request_id, "user_id": None})


def end(**_ignored) -> None:
    """The request is over (request_finished): later lines on this thread are nobody's."""
    _context.set(None)


def bind(**values) -> None:
    facts = _context.get()
    if facts is not None:
        facts.update(values)


def current(name: str):
    return (_context.get() or {}).get(name)


class UserIdMiddleware:
    """After the session is checked: the lines of the rest of the request name the person."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            bind(user_id=request.user.pk)
        return self.get_response(request)


class RequestFilter(logging.Filter):
    """Adds request_id and user_id to every record (None outside a request), drops
    django.request's bare "Bad Gateway: /backups/" when the upstream client has already
    written the line that says why (cause, status, duration) for this request, and keeps an
    ordinary refusal (403: a role without the right, a CSRF failure) to its one line, without
    the traceback of the PermissionDenied that made it."""

    def filter(self, record: logging.LogRecord) -> bool:
        facts = _context.get() or {}
        for name in ("request_id", "user_id"):
            if getattr(record, name, None) is None:
                setattr(record, name, facts.get(name))
        status = getattr(record, "status_code", None)
        if record.name.startswith("django.") and status == 403:
            record.exc_info, record.exc_text = None, None
        return not (
            record.name == "django.request"
            and isinstance(status, int)
            and 500 < status < 600
            and facts.get("upstream_failed")
        )


# Formats ---------------------------------------------------------------------------------


class JsonLines(JsonFormatter):
    """time (UTC, ISO 8601), level, logger, message, request_id, user_id, then whatever the
    line adds (cause, status, duration_ms, exc_info...)."""

    def __init__(self, *args, **kwargs):
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            # django.request passes the request object itself: its path is in the message.
            reserved_attrs=[*RESERVED_ATTRS, "request"],
        )

    def formatTime(self, record, datefmt=None) -> str:  # noqa: N802 - logging's name
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class PlainLines(logging.Formatter):
    """Readable lines for development; the request id when there is one."""

    def __init__(self, *args, **kwargs):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [request {request_id}]" if request_id else line


class AccessJsonLines(JsonLines):
    """gunicorn's access lines as JSON: gunicorn hands its atoms over as the record's args;
    the request id is the panel's X-Request-ID answer header."""

    ATOMS = {
        "h": "remote_addr",
        "m": "method",
        "U": "path",
        "q": "query",
        "H": "protocol",
        "s": "status",
        "B": "bytes",
        "M": "duration_ms",
        "a": "user_agent",
        "f": "referer",
    }

    def add_fields(self, log_record, record, message_dict) -> None:
        super().add_fields(log_record, record, message_dict)
        atoms = record.args if hasattr(record.args, "get") else {}
        for atom, field in self.ATOMS.items():
            value = atoms.get(atom)
            if isinstance(value, str):
                value = value.replace('\\"', '"')  # gunicorn's escaping, for its own format
            if value not in (None, "-", ""):
                log_record[field] = int(value) if field in ("status", "bytes") else value
        log_record["request_id"] = atoms.get("{x-request-id}o") or None
        log_record.pop("user_id", None)


FORMATTERS = {"json": JsonLines, "plain": PlainLines}
# gunicorn's access line in plain mode: the usual combined format, and the request id.
ACCESS_FORMAT = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s" request %({x-request-id}o)s'


def logging_config(chosen: str, level: str) -> dict:
    """Django's LOGGING: everything to standard error in the chosen format; audit events stay
    as they are, one JSON object per line on standard output (backupsui.audit)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestFilter}},
        "formatters": {
            "lines": {"()": FORMATTERS[chosen]},
            "audit": {"format": "%(message)s"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "lines",
                "filters": ["request"],
            },
            "audit": {
                "class": "logging.StreamHandler",
                "formatter": "audit",
                "stream": "ext://sys.stdout",
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Through the root's handler only (Django's own console handler would repeat it).
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "backupsui.audit": {"handlers": ["audit"], "level": "INFO", "propagate": False},
            # django-axes narrates every sign-in at INFO; its lock-outs are audit events already.
            "axes": {"level": "WARNING"},
        },
    }


def gunicorn_config(accesslog: str | None) -> dict:
    """gunicorn's logconfig_dict in JSON mode: its own lines to standard error, and access
    lines (only when GUNICORN_ACCESSLOG is set: "-" for standard output, or a file)."""
    if accesslog == "-":
        access = {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}
    elif accesslog:
        access = {"class": "logging.FileHandler", "filename": accesslog}
    else:
        access = {"class": "logging.NullHandler"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request": {"()": RequestFilter}},
        "formatters": {"lines": {"()": JsonLines}, "access": {"()": AccessJsonLines}},
        "handlers": {
            "error": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "lines",
                "filters": ["request"],
            },
            "access": {**access, "formatter": "access"},
        },
        "root": {"handlers": ["error"], "level": "INFO"},
        "loggers": {
            "gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }
