"""The only code that speaks HTTP to the Backups API.

Explicit timeouts; GETs retried with backoff on connection errors and 502/503/504 (honouring a
bounded Retry-After); POST and DELETE never retried; one keep-alive session per thread; every
failure turned into an UpstreamError with a message fit for the user. The token goes in the
Authorization header and nowhere else: not in a URL, a log line or an exception.
"""

import json
import logging
import threading
import time
from dataclasses import dataclass

import requests
import urllib3
from django.conf import settings
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

import backupsui

from .errors import BadRequest, BadResponse, NotFound, Unauthorized, Unavailable, UpstreamError
from .models import Backup, parse_any, parse_created, parse_list

logger = logging.getLogger(__name__)

USER_AGENT = f"backupsui/{backupsui.__version__}"
RETRY_AFTER_CAP = 5.0
BODY_CHUNK = 256 * 1024
STATUS_ERRORS: dict[int, type[UpstreamError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Unauthorized,
    404: NotFound,
    422: BadRequest,
}


class _BoundedRetry(Retry):
    """A Retry whose Retry-After wait never exceeds a few seconds: a page must answer."""

    def get_retry_after(self, response):
        wait = super().get_retry_after(response)
        return None if wait is None else min(wait, RETRY_AFTER_CAP)


def _retry() -> Retry:
    return _BoundedRetry(
        total=3,
        connect=3,
        read=0,
        status=3,
        other=0,
        backoff_factor=0.2,
        backoff_max=2.0,
        status_forcelist=(429, 502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )


_local = threading.local()


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False
        session.headers["User-Agent"] = USER_AGENT
        adapter = HTTPAdapter(max_retries=_retry(), pool_connections=4, pool_maxsize=8)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _local.session = session
    return session


@dataclass(frozen=True)
class Created:
    backup: Backup
    message: str
    status: int = 201


@dataclass(frozen=True)
class Restored:
    message: str
    status: int = 202


def _body(response: requests.Response):
    return parse_any(response.content)


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


def error_for(response: requests.Response, *, may_have_changed: bool) -> UpstreamError:
    status = response.status_code
    body = _body(response)
    detail = _detail(body)
    if status == 429:
        # Rate limited: the request was turned away, not carried out.
        message = _(
            "The backups service is busy (HTTP 429); nothing was changed. Try again in a moment."
        )
        return Unavailable(message, status=status)
    if status >= 500:
        head = _("The backups service is unavailable (HTTP %(status)s).") % {"status": status}
        return Unavailable(
            f"{head} {_outcome(may_have_changed)}", status=status, outcome_unknown=may_have_changed
        )
    kind = STATUS_ERRORS.get(status, BadRequest)
    if kind is BadRequest:
        fields = _fields(body)
        said = " ".join(text for texts in fields.values() for text in texts)[:500]
        message = (
            detail
            or said
            or _("The backups service refused the request (HTTP %(status)s).") % {"status": status}
        )
        return BadRequest(message, status=status, fields=fields)
    return kind(detail if kind is NotFound and detail else None, status=status)


class BackupsClient:
    """The Backups API as seen with one user's token."""

    def __init__(self, token: str, *, base_url: str | None = None, timeout=None):
        self._auth = {"Authorization": f"Bearer {token}"}
        self.base_url = (base_url or settings.BACKUPS_API_URL).rstrip("/")
        self.timeout = timeout or (
            settings.BACKUPS_API_CONNECT_TIMEOUT,
            settings.BACKUPS_API_TIMEOUT,
        )

    def __repr__(self) -> str:
        return f"<BackupsClient {self.base_url}>"

    def _request(self, method: str, path: str, *, params=None, payload=None):
        may_change = method != "GET"
        if not self._auth["Authorization"].isascii():
            # No such token can exist: an HTTP header cannot even carry it.
            raise Unauthorized()
        headers = dict(self._auth)
        data = None
        if payload is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(payload)
        try:
            response = _session().request(
                method,
                self.base_url + path,
                params=params,
                data=data,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
            )
            # A body that trickles in byte by byte must not hold a worker for ever.
            _read_body(response, time.monotonic() + 2 * self.timeout[1])
        except requests.exceptions.ConnectTimeout:
            raise _transport_failure(False, timed_out=True) from None
        except requests.exceptions.ConnectionError as error:
            if _timed_out(error):
                raise _transport_failure(may_change, timed_out=True) from None
            # A refused or unreachable connection never carried the request.
            unknown = may_change and not _never_sent(error)
            raise _transport_failure(unknown) from None
        except requests.exceptions.Timeout:
            raise _transport_failure(may_change, timed_out=True) from None
        except requests.exceptions.RequestException:
            raise _transport_failure(may_change) from None
        if not 200 <= response.status_code < 300:
            raise error_for(response, may_have_changed=may_change)
        logger.debug("%s %s -> %s", method, path, response.status_code)
        return response

    def list_backups(
        self, server_id: int | None = None, backup_type: str | None = None
    ) -> list[Backup]:
        params = {}
        if server_id is not None:
            params["server_id"] = int(server_id)
        if backup_type:
            params["backup_type"] = backup_type
        response = self._request("GET", "/backups/", params=params)
        return parse_list(response.content)

    def create_backup(self, server_id: int, description: str = "") -> Created:
        payload = {"server_id": int(server_id)}
        if description:
            payload["description"] = description
        response = self._request("POST", "/backups/", payload=payload)
        try:
            backup, message = parse_created(response.content)
        except BadResponse:
            # It answered 2xx: a backup was most likely started, but we cannot say which.
            raise BadResponse(
                _(
                    "The backups service accepted the request but its answer cannot be read: "
                    "the outcome is unknown. Check the list before trying again."
                ),
                status=response.status_code,
                outcome_unknown=True,
            ) from None
        return Created(backup, message, response.status_code)

    def delete_backup(self, backup_id: int) -> int:
        return self._request("DELETE", f"/backups/{int(backup_id)}/").status_code

    def restore_server(self, server_id: int, backup_id: int) -> Restored:
        """Asks for a restore. Any 2xx means accepted, with the upstream's message if any."""
        response = self._request(
            "POST", f"/servers/{int(server_id)}/restore/", payload={"backup_id": int(backup_id)}
        )
        return Restored(_detail(_body(response)) or "", response.status_code)


def _read_body(response: requests.Response, deadline: float) -> None:
    """Reads the whole body, one socket read at a time, until the deadline."""
    chunks = []
    try:
        while chunk := response.raw.read1(BODY_CHUNK, decode_content=True):
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise requests.exceptions.ReadTimeout("the body took too long")
    except requests.exceptions.RequestException:
        raise
    except urllib3.exceptions.ReadTimeoutError:
        raise requests.exceptions.ReadTimeout("read timed out") from None
    except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError, OSError):
        raise requests.exceptions.ConnectionError("the connection broke mid-body") from None
    finally:
        response.close()
    response._content = b"".join(chunks)
    response._content_consumed = True


def _timed_out(error: requests.exceptions.ConnectionError) -> bool:
    return "ReadTimeoutError" in repr(error) or "timed out" in str(error)


def _never_sent(error: requests.exceptions.ConnectionError) -> bool:
    text = repr(error)
    return any(sign in text for sign in ("NewConnectionError", "NameResolutionError"))


def _transport_failure(unknown: bool, timed_out: bool = False) -> Unavailable:
    if timed_out:
        head = _("The backups service did not answer in time.")
    else:
        head = _("The backups service could not be reached.")
    return Unavailable(f"{head} {_outcome(unknown)}", outcome_unknown=unknown)


def _outcome(unknown: bool) -> str:
    if unknown:
        return _("The outcome is unknown: check the list before trying again.")
    return _("Nothing was changed.")


def ping() -> bool:
    """Whether the Backups API answers at all (a 401 without a token counts as answering)."""
    try:
        response = _session().get(
            settings.BACKUPS_API_URL.rstrip("/") + "/backups/",
            timeout=(settings.BACKUPS_API_CONNECT_TIMEOUT, 3),
            allow_redirects=False,
        )
    except requests.exceptions.RequestException:
        return False
    return response.status_code < 500
