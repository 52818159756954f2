"""The only code that speaks HTTP to the Backups API.

- Every call is bounded: `BACKUPS_API_TIMEOUT` covers the whole call (connecting, waiting,
  the body, retries and further pages), and a body may not grow past `BACKUPS_API_MAX_MB`
  once decompressed.
- One layer retries: this one. A GET is retried on a connection that was never made and on
  429/502/503/504 (honouring a short Retry-After); a POST or DELETE never is.
- While the upstream keeps failing, each process stops calling it for a few seconds and
  answers at once (see `breaker.py`), then lets one call through to probe.
- Every failure becomes an UpstreamError whose message is fit for the person.
- The token goes in the Authorization header and nowhere else: not in a URL, a log line or
  an exception.
"""

import contextlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from django.conf import settings
from django.utils.translation import gettext_noop as _

import backupsui
from backupsui.words import Sentence

from .breaker import breaker_for
from .calls import logged
from .errors import BadRequest, BadResponse, NotFound, Unauthorized, Unavailable, UpstreamError
from .types import Backup, Listing, parse_any, parse_created, parse_page

logger = logging.getLogger(__name__)

USER_AGENT = f"backupsui/{backupsui.__version__}"
RETRY_AFTER_CAP = 5.0
RETRIES = 3
RETRY_STATUSES = frozenset({429, 502, 503, 504})
BODY_CHUNK = 256 * 1024
ERROR_BODY_MAX = 64 * 1024  # an error page is read this far, the rest is not needed
MAX_PAGES = 1000
STATUS_ERRORS: dict[int, type[UpstreamError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Unauthorized,
    404: NotFound,
    422: BadRequest,
}

_local = threading.local()


def _session() -> requests.Session:
    """One keep-alive session per thread; requests itself never retries (max_retries=0)."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False
        session.headers["User-Agent"] = USER_AGENT
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=8)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _local.session = session
    return session


@dataclass(frozen=True)
class Answer:
    """What came back: the status, the headers and the whole (bounded) body."""

    url: str
    status: int
    headers: dict
    body: bytes | bytearray


@dataclass(frozen=True)
class Created:
    backup: Backup
    message: str
    status: int = 201


@dataclass(frozen=True)
class Restored:
    message: str
    status: int = 202


class _TooLarge(Exception):
    pass


class _Failure(Exception):
    """A call that got no usable answer: `sent` says whether the request may have arrived."""

    def __init__(self, sent: bool, timed_out: bool = False):
        self.sent, self.timed_out = sent, timed_out
        self.cause = "timeout" if timed_out else "lost" if sent else "refused"


def _fields(body) -> dict[str, list[str]]:
    if not isinstance(body, dict):
        return {}
    fields = {}
    for name, value in body.items():
        if name in ("detail", "message"):
            continue
        if isinstance(value, str):
            fields[name] = [value]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            fields[name] = list(value)
    return fields


def _detail(body) -> str | None:
    if isinstance(body, dict):
        for key in ("detail", "message"):
            if isinstance(body.get(key), str) and body[key].strip():
                return body[key].strip()[:500]
    return None


def error_for(answer: Answer, *, may_have_changed: bool) -> UpstreamError:
    status = answer.status
    body = parse_any(answer.body)
    detail = _detail(body)
    if status == 429:
        # Rate limited: the request was turned away, not carried out.
        message = Sentence(
            _("The backups service is busy (HTTP 429); nothing was changed. Try again in a moment.")
        )
        return Unavailable(message, status=status)
    if status >= 500:
        head = Sentence(_("The backups service is unavailable (HTTP %(status)s)."), status=status)
        return Unavailable(
            head + outcome_sentence(may_have_changed),
            status=status,
            outcome_unknown=may_have_changed,
        )
    kind = STATUS_ERRORS.get(status, BadRequest)
    if kind is BadRequest:
        fields = _fields(body)
        said = " ".join(text for texts in fields.values() for text in texts)[:500]
        refused = _("The backups service refused the request (HTTP %(status)s).")
        message = (
            Sentence.verbatim(detail or said)
            if detail or said
            else Sentence(refused, status=status)
        )
        return BadRequest(message, status=status, fields=fields)
    if kind is NotFound and detail:
        return kind(Sentence.verbatim(detail), status=status)
    return kind(None, status=status)


def outcome_sentence(unknown: bool) -> Sentence:
    if unknown:
        return Sentence(_("The outcome is unknown: check the list before trying again."))
    return Sentence(_("Nothing was changed."))


def _unreadable_change(status: int) -> BadResponse:
    # It answered 2xx: the change most likely happened, but the answer does not say so.
    return BadResponse(
        Sentence(
            _(
                "The backups service answered (HTTP %(status)s) but its answer cannot be read: "
                "the outcome is unknown. Check the list before trying again."
            ),
            status=status,
        ),
        status=status,
        outcome_unknown=True,
    )


class BackupsClient:
    """The Backups API as seen with one user's token."""

    def __init__(self, token: str, *, base_url: str | None = None, timeout=None, max_mb=None):
        self._auth = {"Authorization": f"Bearer {token}"}
        self.base_url = (base_url or settings.BACKUPS_API_URL).rstrip("/")
        connect, whole = timeout or (
            settings.BACKUPS_API_CONNECT_TIMEOUT,
            settings.BACKUPS_API_TIMEOUT,
        )
        self.connect_timeout, self.timeout = min(connect, whole), whole
        self.max_bytes = int((max_mb or settings.BACKUPS_API_MAX_MB) * 2**20)
        self.breaker = breaker_for(self.base_url)

    def __repr__(self) -> str:
        return f"<BackupsClient {self.base_url}>"

    # The API's four calls ----------------------------------------------------------------

    @logged
    def list_backups(self) -> Listing:
        """Every backup of every server, following `next` links on the API's own host (see
        `_next_page`): the panel filters on its side, so one list serves every page."""
        deadline = time.monotonic() + self.timeout
        budget = self.max_bytes
        answer = self._call("GET", self.base_url + "/backups/", deadline, budget)
        backups, counted, following = parse_page(answer.body)
        seen = {answer.url}
        for _page in range(MAX_PAGES - 1):
            url = self._next_page(answer.url, following, seen)
            if url is None:
                break
            budget -= len(answer.body)
            answer = self._call("GET", url, deadline, budget)
            more, _count, following = parse_page(answer.body)
            backups.extend(more)
            seen.add(answer.url)
        return Listing(backups, counted)

    @logged
    def create_backup(self, server_id: int, description: str = "") -> Created:
        payload = {"server_id": int(server_id)}
        if description:
            payload["description"] = description
        answer = self._change("POST", "/backups/", payload)
        try:
            backup, message = parse_created(answer.body)
        except BadResponse:
            raise _unreadable_change(answer.status) from None
        return Created(backup, message, answer.status)

    @logged
    def delete_backup(self, backup_id: int) -> int:
        return self._change("DELETE", f"/backups/{int(backup_id)}/").status

    @logged
    def restore_server(self, server_id: int, backup_id: int) -> Restored:
        """Asks for a restore. Any 2xx means accepted, with the upstream's message if any."""
        answer = self._change(
            "POST", f"/servers/{int(server_id)}/restore/", {"backup_id": int(backup_id)}
        )
        return Restored(_detail(parse_any(answer.body)) or "", answer.status)

    # Plumbing ----------------------------------------------------------------------------

    def _change(self, method: str, path: str, payload=None) -> Answer:
        """A call that may change something: sent once, and a 2xx whose body is not JSON
        (an HTML page from a proxy, say) is an unknown outcome, never a success."""
        deadline = time.monotonic() + self.timeout
        try:
            answer = self._call(method, self.base_url + path, deadline, self.max_bytes, payload)
        except BadResponse as error:
            raise _unreadable_change(error.status or 200) from None
        if answer.body.strip() and parse_any(answer.body) is None:
            raise _unreadable_change(answer.status)
        return answer

    def _call(self, method, url, deadline, budget, payload=None) -> Answer:
        """One request, retried (GET only) while the deadline allows; raises UpstreamError."""
        changes = method != "GET"
        if not self._auth["Authorization"].isascii():
            # No such token can exist: an HTTP header cannot even carry it.
            raise Unauthorized()
        attempt, last = 0, None
        while True:
            if not self.breaker.allow():
                # A retry the breaker stops ends with what the last try said.
                raise last or Unavailable(
                    Sentence(
                        _(
                            "The backups service could not be reached: it failed several times "
                            "in a row, so the panel waits a few seconds before asking again. "
                            "Nothing was changed."
                        )
                    ),
                    cause="paused",
                )
            try:
                answer = self._send(method, url, deadline, budget, payload)
            except _Failure as failure:
                self.breaker.failure()
                last = _transport_error(changes and failure.sent, failure.timed_out)
                last.cause = failure.cause
                retry = not changes and not failure.sent and attempt < RETRIES
                if retry and self._wait(attempt, None, deadline):
                    attempt += 1
                    continue
                raise last from None
            except _TooLarge:
                self.breaker.success()
                raise BadResponse(
                    Sentence(
                        _(
                            "The backups service answered with more than %(mb)s MB, more than "
                            "the panel reads (BACKUPS_API_MAX_MB); it stopped reading. Nothing "
                            "was changed."
                        ),
                        mb=round(self.max_bytes / 2**20),
                    ),
                    status=200,
                    cause="too large",
                ) from None
            if answer.status >= 500:
                self.breaker.failure()
            else:
                self.breaker.success()
            if 200 <= answer.status < 300:
                logger.debug("%s %s -> %s", method, urlsplit(url).path, answer.status)
                return answer
            last = error_for(answer, may_have_changed=changes)
            retry = not changes and answer.status in RETRY_STATUSES and attempt < RETRIES
            if retry and self._wait(attempt, answer.headers.get("Retry-After"), deadline):
                attempt += 1
                continue
            raise last

    def _send(self, method, url, deadline, budget, payload) -> Answer:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Failure(sent=False, timed_out=True)
        headers = dict(self._auth)
        data = None
        if payload is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(payload)
        try:
            response = _session().request(
                method,
                url,
                data=data,
                headers=headers,
                timeout=(min(self.connect_timeout, remaining), remaining),
                allow_redirects=False,
                stream=True,
            )
        except requests.exceptions.ConnectTimeout:
            raise _Failure(sent=False, timed_out=True) from None
        except requests.exceptions.Timeout:
            raise _Failure(sent=True, timed_out=True) from None
        except requests.exceptions.ConnectionError as error:
            raise _Failure(sent=not _never_connected(error)) from None
        except requests.exceptions.RequestException:
            raise _Failure(sent=True) from None
        limit = budget if 200 <= response.status_code < 300 else ERROR_BODY_MAX
        body = _read_body(response, deadline, limit, whole=limit == budget)
        return Answer(response.url, response.status_code, dict(response.headers), body)

    def _wait(self, attempt: int, retry_after, deadline: float) -> bool:
        """Sleeps before a retry; False when the deadline would pass first."""
        wait = min(0.2 * 2**attempt, 2.0)
        if retry_after is not None:
            with contextlib.suppress(ValueError):
                wait = min(max(float(retry_after), 0.0), RETRY_AFTER_CAP)
        if time.monotonic() + wait >= deadline:
            return False
        time.sleep(wait)
        return True

    def _next_page(self, current: str, following, seen: set) -> str | None:
        """The next page's address, only on the API's own scheme, host and port, and only
        once each (a loop of links ends the list, as the cap of MAX_PAGES does)."""
        if not isinstance(following, str) or not following.strip():
            return None
        url = urljoin(current, following.strip())
        here, there = urlsplit(self.base_url), urlsplit(url)
        same = (here.scheme, here.hostname, here.port) == (there.scheme, there.hostname, there.port)
        if not same or url in seen:
            logger.warning("not following a next link to %s", there.netloc or "?")
            return None
        return url


def _read_body(response, deadline: float, limit: int, whole: bool) -> bytearray:
    """The body, one socket read at a time, decompressed as it comes, until the deadline;
    past `limit` bytes it is abandoned (raising _TooLarge) or, for an error page (`whole`
    false), cut short."""
    body = bytearray()
    try:
        while chunk := response.raw.read1(BODY_CHUNK, decode_content=True):
            body += chunk
            if len(body) > limit:
                if whole:
                    raise _TooLarge
                del body[limit:]
                break
            if time.monotonic() > deadline:
                raise _Failure(sent=True, timed_out=True)
    except urllib3.exceptions.ReadTimeoutError:
        raise _Failure(sent=True, timed_out=True) from None
    except (urllib3.exceptions.HTTPError, OSError):
        # A reset, a broken chunk, a body that does not decompress: the answer is lost.
        raise _Failure(sent=True) from None
    finally:
        response.close()
    return body


def _never_connected(error: requests.exceptions.ConnectionError) -> bool:
    """Whether the request never left: refused, unreachable or a name that does not resolve."""
    cause = error.args[0] if error.args else None
    reason = getattr(cause, "reason", cause)
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _transport_error(unknown: bool, timed_out: bool) -> Unavailable:
    if timed_out:
        head = Sentence(_("The backups service did not answer in time."))
    else:
        head = Sentence(_("The backups service could not be reached."))
    return Unavailable(head + outcome_sentence(unknown), outcome_unknown=unknown)
