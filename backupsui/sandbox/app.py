"""The sandbox's HTTP face: a plain WSGI app serving backups-api.md under /api/v1/."""

import json
import re
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs, parse_qsl, quote, urlencode

from backupsui.ids import parse_id

from .state import AUTOMATIC, DESCRIPTION_MAX, MANUAL, SandboxState

REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
}
MAX_BODY = 64 * 1024
PREFIX = "/api/v1"
BACKUP_PATH = re.compile(r"^/backups/(\d{1,18})/$")
RESTORE_PATH = re.compile(r"^/servers/(\d{1,18})/restore/$")


class Reply(Exception):
    """Raised anywhere in a handler to answer at once."""

    def __init__(self, status: int, body: dict | None = None):
        self.status, self.body = status, body


def _integer(value) -> int | None:
    # JSON booleans are ints in Python; the API means integers.
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def page_url(environ: dict, page: int) -> str:
    """This request's absolute URL on another page, its filters kept. Like Django REST
    framework, the first page's link carries no `page` at all."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host, port = environ["SERVER_NAME"], environ["SERVER_PORT"]
        if (scheme, port) not in (("http", "80"), ("https", "443")):
            host = f"{host}:{port}"
    path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
    query = [
        (name, value)
        for name, value in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if name != "page"
    ]
    if page > 1:
        query.append(("page", str(page)))
    return f"{scheme}://{host}{path}" + (f"?{urlencode(query)}" if query else "")


class SandboxApp:
    def __init__(self, state: SandboxState):
        self.state = state

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        try:
            status, body = self.route(environ)
        except Reply as reply:
            status, body = reply.status, reply.body
        payload = b"" if body is None else json.dumps(body).encode()
        headers = [("Content-Length", str(len(payload)))]
        if body is not None:
            headers.append(("Content-Type", "application/json"))
        start_response(f"{status} {REASONS.get(status, 'Error')}", headers)
        return [payload]

    def route(self, environ: dict) -> tuple[int, dict | None]:
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"]
        if not path.startswith(PREFIX + "/"):
            raise Reply(404, {"detail": "Not found."})
        path = path[len(PREFIX) :]
        account = self.account(environ)
        if path == "/backups/":
            if method == "GET":
                return self.list_backups(account, environ)
            if method == "POST":
                return self.create_backup(account, environ)
        elif match := BACKUP_PATH.match(path):
            if method == "DELETE":
                if self.state.delete_backup(account, int(match[1])):
                    return 204, None
                raise Reply(404, {"detail": "Backup not found."})
        elif match := RESTORE_PATH.match(path):
            if method == "POST":
                return self.restore(account, int(match[1]), environ)
        else:
            raise Reply(404, {"detail": "Not found."})
        raise Reply(405, {"detail": f'Method "{method}" not allowed.'})

    def account(self, environ: dict) -> str:
        header = environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token:
            raise Reply(401, {"detail": "Authentication credentials were not provided."})
        account = self.state.config.accounts.get(token.strip())
        if account is None:
            raise Reply(401, {"detail": "Invalid token."})
        return account

    @staticmethod
    def json_body(environ: dict) -> dict:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            raise Reply(413, {"detail": "Request body too large."})
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw or b"null")
        except (ValueError, UnicodeDecodeError):
            raise Reply(400, {"detail": "Malformed JSON."}) from None
        if not isinstance(body, dict):
            raise Reply(400, {"detail": "Expected a JSON object."})
        return body

    def list_backups(self, account: str, environ: dict) -> tuple[int, dict]:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        server_id = backup_type = None
        errors = {}
        if "server_id" in query:
            server_id = parse_id(query["server_id"][-1])
            if server_id is None:
                errors["server_id"] = ["A valid integer is required."]
        if "backup_type" in query:
            backup_type = query["backup_type"][-1]
            if backup_type not in (MANUAL, AUTOMATIC):
                errors["backup_type"] = [f'"{backup_type}" is not a valid choice.']
        if errors:
            raise Reply(400, errors)
        size = self.state.config.page_size
        if not size:
            count, results = self.state.list_page(account, server_id, backup_type)
            return 200, {"count": count, "results": results}
        # Pages slice the stable (shuffled) insertion order, so together they hold each backup
        # once; page 1 exists even when the list is empty, as in Django REST framework.
        page = parse_id(query["page"][-1]) if "page" in query else 1
        if page is None:
            raise Reply(404, {"detail": "Invalid page."})
        start = (page - 1) * size
        count, results = self.state.list_page(account, server_id, backup_type, start, start + size)
        pages = max(1, -(-count // size))
        if page > pages:
            raise Reply(404, {"detail": "Invalid page."})
        return 200, {
            "count": count,
            "next": page_url(environ, page + 1) if page < pages else None,
            "previous": page_url(environ, page - 1) if page > 1 else None,
            "results": results,
        }

    def create_backup(self, account: str, environ: dict) -> tuple[int, dict]:
        body = self.json_body(environ)
        errors = {}
        server_id = _integer(body.get("server_id"))
        if "server_id" not in body or body["server_id"] is None:
            errors["server_id"] = ["This field is required."]
        elif server_id is None:
            errors["server_id"] = ["A valid integer is required."]
        description = body.get("description", "")
        if description is None:
            description = ""
        if not isinstance(description, str):
            errors["description"] = ["Not a valid string."]
        elif len(description) > DESCRIPTION_MAX:
            errors["description"] = [
                f"Ensure this field has no more than {DESCRIPTION_MAX} characters."
            ]
        if errors:
            raise Reply(400, errors)
        created = self.state.create_backup(account, server_id, description)
        if created is None:
            raise Reply(404, {"detail": "Server not found."})
        created["message"] = (
            "Backup is being created. This may take several minutes depending on server size."
        )
        return 201, created

    def restore(self, account: str, server_id: int, environ: dict) -> tuple[int, dict]:
        body = self.json_body(environ)
        backup_id = _integer(body.get("backup_id"))
        if backup_id is None:
            raise Reply(400, {"backup_id": ["A valid integer is required."]})
        return self.state.restore_server(account, server_id, backup_id)
