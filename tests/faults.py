"""A misbehaving Backups API on loopback: each scenario is the first segment of the path,
so BACKUPS_API_URL = f"{server.url}/<scenario>/api/v1" picks one."""

import contextlib
import functools
import gzip
import json
import socket
import socketserver
import struct
import threading
import time

from tests.helpers import DOCUMENT_ITEM

EXAMPLE = {"count": 1, "results": [DOCUMENT_ITEM]}
HOLD_SECONDS = 5  # how long a hanging answer holds the connection, at most


def _answer(status: int, body: bytes, content_type="application/json", extra="") -> bytes:
    head = (
        f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n{extra}\r\n"
    )
    return head.encode() + body


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(HOLD_SECONDS)
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            while len(body) < length:
                body += sock.recv(65536)
        except (TimeoutError, OSError):
            return
        method, path = head.split(b" ")[:2]
        scenario = path.decode().split("/")[1]
        self.server.seen.append((scenario, method.decode(), path.decode()))
        self.path = path.decode()
        with contextlib.suppress(OSError):  # the client gave up first, as it should
            getattr(self, "do_" + scenario.replace("-", "_"))(sock, method.decode())

    def _hold(self):
        self.server.release.wait(HOLD_SECONDS)

    def do_hang(self, sock, method):
        self._hold()

    def do_slow_body(self, sock, method):
        body = json.dumps(EXAMPLE).encode()
        sock.sendall(_answer(200, body)[: -len(body)])
        for byte in body:
            if self.server.release.wait(0.2):
                return
            sock.sendall(bytes([byte]))

    def do_error_500(self, sock, method):
        sock.sendall(_answer(500, b'{"detail": "Internal error"}'))

    def do_bad_gateway(self, sock, method):
        sock.sendall(
            _answer(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
        )

    def do_rate_limited(self, sock, method):
        sock.sendall(_answer(429, b'{"detail": "Slow down."}', extra="Retry-After: 1\r\n"))

    def do_bad_json(self, sock, method):
        sock.sendall(_answer(200 if method == "GET" else 201, b'{"results": [1, 2'))

    def do_wrong_shape(self, sock, method):
        sock.sendall(_answer(200 if method == "GET" else 201, b'{"items": [], "id": "x"}'))

    def do_token_revoked(self, sock, method):
        # Fine for the first list, then the token is revoked mid-session.
        if method == "GET" and self.server.revoked_after > 0:
            self.server.revoked_after -= 1
            sock.sendall(_answer(200, json.dumps(EXAMPLE).encode()))
        else:
            sock.sendall(_answer(401, b'{"detail": "Invalid token."}'))

    def do_reset(self, sock, method):
        body = json.dumps(EXAMPLE).encode()
        sock.sendall(_answer(200 if method == "GET" else 201, body)[: -len(body) // 2])
        # SO_LINGER 0: close with a reset, not a clean end.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def do_down(self, sock, method):
        sock.sendall(_answer(503, b'{"detail": "Down for maintenance."}'))

    def do_huge(self, sock, method):
        # A 200 MB list, sent until the client stops reading.
        size = 200 * 2**20
        sock.sendall(
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\nConnection: close\r\n\r\n".encode()
        )
        block = b" " * 2**20
        for _ in range(200):
            sock.sendall(block)

    def do_gzip_bomb(self, sock, method):
        sock.sendall(_answer(200, bomb(), extra="Content-Encoding: gzip\r\n"))

    def do_paged(self, sock, method):
        # Three pages of the document's example item: the first links on with an absolute
        # URL, the second with a path only, as REST frameworks do either way.
        page = int(self.path.partition("page=")[2] or 1)
        host = f"http://127.0.0.1:{self.server.server_address[1]}"
        following = {1: f"{host}/paged/api/v1/backups/?page=2", 2: "/paged/api/v1/backups/?page=3"}
        items = [dict(DOCUMENT_ITEM, id=page * 100 + n) for n in range(4)]
        body = {"count": 12, "next": following.get(page), "results": items}
        sock.sendall(_answer(200, json.dumps(body).encode()))

    def do_short(self, sock, method):
        sock.sendall(_answer(200, json.dumps(dict(EXAMPLE, count=7)).encode()))

    def do_unreadable(self, sock, method):
        # A proxy's page with a success status: the change may well have happened.
        status = {"POST": 201, "DELETE": 200}.get(method, 200)
        if "/restore/" in self.path:
            status = 202
        page = b"<html><body>OK</body></html>"
        if method == "GET":
            sock.sendall(_answer(200, json.dumps(EXAMPLE).encode()))
        else:
            sock.sendall(_answer(status, page, "text/html"))


@functools.cache
def bomb() -> bytes:
    return gzip.compress(b"0" * (300 * 2**20), compresslevel=9)  # 300 MB in about 300 kB


class FaultServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[tuple[str, str, str]] = []
        self.release = threading.Event()
        self.revoked_after = 1
        self.thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def api(self, scenario: str) -> str:
        return f"{self.url}/{scenario}/api/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.shutdown()
        self.server_close()
        time.sleep(0)  # let handler threads see the release


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
