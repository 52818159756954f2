"""Small helpers the view tests share."""

import re
import threading
from html import unescape
from types import SimpleNamespace
from urllib.parse import unquote, urlencode

from django.db import connection
from django.test import Client

from backupsui.audit.models import AuditEvent
from backupsui.backups.models import FormKey

# The first backup of the API document's example.
DOCUMENT_ITEM = {
    "id": 501,
    "server": {"id": 12345, "name": "web-server-01"},
    "backup_type": "automatic",
    "status": "completed",
    "size_mb": 4523,
    "created_at": "2025-01-16T03:00:00Z",
    "expires_at": "2025-02-16T03:00:00Z",
    "description": "Automatic daily backup",
}


FORM = "application/x-www-form-urlencoded"


class FormClient(Client):
    """Django's test client posting forms as browsers do: urlencoded (the panel refuses
    multipart bodies, and the test client would send every POST as one), and with the
    one-time key a browser gets with each change form (`fresh_key=False` leaves it out)."""

    def post(self, path, data=None, content_type=FORM, fresh_key=True, **extra):
        if content_type == FORM and not isinstance(data, str | bytes):
            data = dict(data or {})
            signed_in = self.session.get("_auth_user_id")
            if fresh_key and signed_in and "idempotency_key" not in data:
                data["idempotency_key"] = FormKey.issue(
                    SimpleNamespace(pk=int(signed_in)), purpose_of(path)
                )
            data = urlencode(data, doseq=True)
        return super().post(path, data, content_type=content_type, **extra)


def purpose_of(path: str) -> str:
    """The kind of change a form posted to this path makes (its key is for that alone)."""
    if path.startswith("/servers/backup/"):
        return "bulk-create"
    if path.startswith("/backups/delete/"):
        return "bulk-delete"
    return "delete" if "/delete/" in path else "restore" if "/restore/" in path else "create"


def text(response) -> str:
    return response.content.decode()


def body_of(response) -> str:
    """The whole body, streamed (the CSV export) or not."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


def completed_backup(sandbox, server_id=12345):
    """A completed automatic backup of this server (web-server-01 by default) in a sandbox."""
    return next(
        b
        for b in sandbox.state.backups.values()
        if b.server.id == server_id and b.backup_type == "automatic"
    )


def row_ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="backup-(\d+)"', text(response))]


def poll_url(response) -> str | None:
    match = re.search(r'hx-get="(/backups/poll/[^"]*)"', text(response))
    return unquote(unescape(match.group(1))) if match else None


def events(action=None):
    found = AuditEvent.objects.all().order_by("id")
    return list(found.filter(action=action) if action else found)


def totp_code(secret: str, at: float | None = None, period: int = 30, digits: int = 6) -> str:
    """RFC 6238's code for a base32 key at a time (now by default): what an authenticator app
    shows."""
    import base64
    import hashlib
    import hmac
    import struct
    import time

    counter = int((time.time() if at is None else at) // period)
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


def secret_on_page(response) -> str:
    """The authenticator app's key as the page shows it, as text."""
    return re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7=]+)"', text(response)).group(1)


def at_once(function, count: int = 2) -> None:
    """Runs `function` in `count` threads released at the same moment (each closing its own
    database connection), and waits for them: workers racing for the same work."""
    start = threading.Barrier(count)

    def racer():
        start.wait()
        try:
            function()
        finally:
            connection.close()

    racers = [threading.Thread(target=racer) for _ in range(count)]
    for thread in racers:
        thread.start()
    for thread in racers:
        thread.join(60)


class UpstreamLog:
    """Every request that reached a sandbox, as (method, path, token): which token asked,
    for what. Installed in front of the sandbox's own application."""

    def __init__(self, server):
        self.requests: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        application = server.httpd.get_app()

        def logged(environ, start_response):
            _scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
            with self._lock:
                self.requests.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], token))
            return application(environ, start_response)

        server.httpd.set_app(logged)

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def by(self, *tokens: str) -> list[tuple[str, str, str]]:
        """The requests made with any of these tokens."""
        with self._lock:
            return [r for r in self.requests if r[2] in tokens]

    def changes(self) -> list[tuple[str, str, str]]:
        """The requests that may change something (all but GET), whoever's token."""
        with self._lock:
            return [r for r in self.requests if r[0] != "GET"]
