"""Resolvers for tests, so that no name is looked up beyond this machine: picklable, and
importing nothing but the outbound rule, so that the alerts' sending child process (which
has no Django settings) can use them too."""

import socket
import threading
from dataclasses import dataclass

from backupsui.outbound import Table


@dataclass
class Everywhere(Table):
    """Every name not in the table resolves to `addresses` (a hosted service's own host,
    whatever it is called, lands on this machine)."""

    addresses: tuple[str, ...] = ("127.0.0.1",)

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002
        names = dict(self.names)
        names.setdefault(str(host).lower().rstrip("."), list(self.addresses))
        return Table(names)(host, port, family, type, proto, flags)


class Listener:
    """A TCP listener on loopback that counts the connections made to it, and answers
    none of them."""

    def __init__(self):
        self.connections = 0
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def port(self) -> int:
        return self.socket.getsockname()[1]

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _address = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            connection.close()

    def stop(self) -> None:
        self._stop.set()
        self.socket.close()
