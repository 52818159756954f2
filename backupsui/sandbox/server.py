"""Serving the sandbox on loopback, in the foreground or in a background thread."""

import ipaddress
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .app import SandboxApp
from .state import SandboxConfig, SandboxState


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        if self.server.verbose:
            super().log_message(format, *args)


def require_loopback(host: str) -> None:
    """The sandbox never listens beyond this machine."""
    name = "127.0.0.1" if host == "localhost" else host
    try:
        loopback = ipaddress.ip_address(name).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"The sandbox listens on loopback only, not on {host!r}.")


class SandboxServer:
    """The sandbox on a port of its own; port 0 picks a free one."""

    def __init__(self, config: SandboxConfig, host="127.0.0.1", port=0, verbose=False, clock=None):
        require_loopback(host)
        self.state = SandboxState(config, clock=clock)
        self.httpd = make_server(
            host,
            port,
            SandboxApp(self.state),
            server_class=_ThreadingServer,
            handler_class=_QuietHandler,
        )
        self.httpd.verbose = verbose
        self.host, self.port = self.httpd.server_address[:2]
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/api/v1"

    def start(self) -> "SandboxServer":
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.05,), daemon=True, name="sandbox"
        )
        self.thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.thread:
            self.thread.join(timeout=5)
