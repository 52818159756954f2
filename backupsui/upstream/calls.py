"""Each call to the API counted for /metrics (which call, how it ended, how long it took: the
ledger), and one log line for each call that did not succeed: which call, why (the cause),
the HTTP status if there was one, and how long it took. Never the token, never a URL's query."""

import functools
import logging
import time

from backupsui import logs

from .errors import BadResponse, UpstreamError
from .ledger import ledger

logger = logging.getLogger("backupsui.upstream")


def cause_of(error: UpstreamError) -> str:
    """timeout, refused (no connection), lost (the connection broke), paused (the breaker
    holds calls back), 5xx, 429, 4xx, too large, or unreadable (an answer the panel cannot
    read)."""
    if error.cause:
        return error.cause
    if isinstance(error, BadResponse):
        return "unreadable"
    if error.status == 429:
        return "429"
    if error.status is not None and error.status >= 500:
        return "5xx"
    return "4xx"  # the API refused (or a token no API could accept)


def outcome_of(cause: str) -> str:
    """The cause as a label value: ok, timeout, refused, lost, paused, 5xx, 429, 4xx,
    too_large, unreadable."""
    return cause.replace(" ", "_")


def logged(call):
    @functools.wraps(call)
    def calling(client, *args, **kwargs):
        started = time.monotonic()
        try:
            answer = call(client, *args, **kwargs)
        except UpstreamError as error:
            seconds = time.monotonic() - started
            cause, took = cause_of(error), round(seconds * 1000)
            ledger.call(call.__name__, outcome_of(cause), seconds)
            answered_no = cause == "4xx"  # the API said no: its answer, not a failure
            if not answered_no:
                logs.bind(upstream_failed=True)
            logger.log(
                logging.INFO if answered_no else logging.WARNING,
                "upstream %s %s: %s, status %s, %d ms",
                call.__name__,
                "refused" if answered_no else "failed",
                cause,
                error.status if error.status is not None else "none",
                took,
                extra={
                    "upstream_call": call.__name__,
                    "cause": cause,
                    "status": error.status,
                    "duration_ms": took,
                    "outcome_unknown": error.outcome_unknown,
                },
            )
            raise
        ledger.call(call.__name__, "ok", time.monotonic() - started)
        return answer

    return calling
