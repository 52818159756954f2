"""The sandbox's in-memory world: accounts, servers and backups, seeded deterministically.

It follows backups-api.md, plus what a real API of that shape also does: backups that fail,
and (when asked) pages with next/previous links. All access goes through one lock, and time
comes from an injectable clock so tests can move it.
"""

import calendar
import functools
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

AUTOMATIC = "automatic"
MANUAL = "manual"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
# Not in backups-api.md, but real backups fail; the panel must show it.
FAILED = "failed"
DESCRIPTION_MAX = 255
AUTOMATIC_DESCRIPTION = "Automatic daily backup"


LATEST = datetime.max.replace(tzinfo=UTC)


def add_month(moment: datetime) -> datetime:
    """The same day and time a calendar month later, clamped to the month's last day."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@functools.lru_cache(maxsize=2**16)  # many backups share a time (the 03:00 UTC ones)
def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class Server:
    id: int
    name: str
    account: str
    status: str = "active"
    active_at: datetime | None = None


@dataclass(slots=True)
class Backup:
    id: int
    server: Server
    backup_type: str
    created_at: datetime
    description: str
    size_mb: int
    expires_at: datetime | None
    completes_at: datetime
    # Wins over completes_at: a failed backup never turns completed later.
    failed: bool = False

    def status(self, now: datetime) -> str:
        if self.failed:
            return FAILED
        return COMPLETED if now >= self.completes_at else IN_PROGRESS

    def as_json(self, now: datetime) -> dict:
        status = self.status(now)
        return {
            "id": self.id,
            "server": {"id": self.server.id, "name": self.server.name},
            "backup_type": self.backup_type,
            "status": status,
            "size_mb": self.size_mb if status == COMPLETED else None,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "description": self.description,
        }


@dataclass
class SandboxConfig:
    """What the sandbox holds. `accounts` maps each token to an account name."""

    accounts: dict[str, str] = field(default_factory=dict)
    seed: int = 1
    servers: int = 3
    days: int = 30
    manual_per_server: int = 2
    completion_delay: float = 5.0
    restore_delay: float = 5.0
    document_example: bool = False
    # The fraction of automatic backups, seeded or taken later, that fail.
    failure_rate: float = 0.0
    # Extra servers per account whose backups were never enabled: no backups at all.
    empty_servers: int = 0
    # Backups per page of the list; 0 answers one page, as backups-api.md shows.
    page_size: int = 0
    # Days of manual backups, several a day, on every server (for plans' previews).
    history_days: int = 0

    def __post_init__(self):
        if not 0 <= self.failure_rate <= 1:
            raise ValueError(f"The failure rate is from 0 to 1, not {self.failure_rate}.")
        if self.page_size < 0 or self.empty_servers < 0:
            raise ValueError("The page size and the number of empty servers cannot be negative.")
        if self.history_days < 0:
            raise ValueError("The days of history cannot be negative.")

    @staticmethod
    def servers_for(backups: int, days: int = 30, manual_per_server: int = 2) -> int:
        """How many servers (per account) give about `backups` backups."""
        per_server = days + manual_per_server
        return max(1, -(-backups // per_server))


HISTORY_DESCRIPTIONS = (
    "Before deployment",
    "Before the package upgrade",
    "Nightly script",
    "Before the schema migration",
    "",
)


class SandboxState:
    def __init__(self, config: SandboxConfig, clock: Callable[[], datetime] | None = None):
        self.config = config
        self.clock = clock or (lambda: datetime.now(UTC))
        self.lock = threading.Lock()
        self.servers: dict[int, Server] = {}
        self.backups: dict[int, Backup] = {}
        self.next_id = 1
        self.random = random.Random(config.seed)  # noqa: S311 - a deterministic seed, not a secret
        self.last_daily: dict[int, datetime] = {}
        self._expiry_checked: tuple = ()
        self._next_expiry = LATEST
        self._chosen: dict[tuple, tuple[tuple, list]] = {}
        with self.lock:
            if config.document_example:
                self._seed_document_example()
            else:
                self._seed(self.clock())

    # Seeding -------------------------------------------------------------------------------

    def _seed(self, now: datetime) -> None:
        server_id = 12345
        backed_up: list[Server] = []
        for account in sorted(set(self.config.accounts.values())):
            total = self.config.servers + self.config.empty_servers
            for number in range(1, total + 1):
                kind = ("web-server", "db-server", "cache-server")[(number - 1) % 3]
                server = Server(server_id, f"{kind}-{number:02d}", account)
                self.servers[server_id] = server
                if number <= self.config.servers:
                    backed_up.append(server)
                server_id += 1
        pending: list[Backup] = []
        today_3am = now.replace(hour=3, minute=0, second=0, microsecond=0)
        latest = today_3am if now >= today_3am else today_3am - timedelta(days=1)
        for server in backed_up:
            for day in range(self.config.days - 1, -1, -1):
                taken = latest - timedelta(days=day)
                pending.append(self._automatic(server, taken))
            self.last_daily[server.id] = latest
            for number in range(self.config.manual_per_server):
                # Taken by hand some time in the past forty days, never in the future.
                ago = timedelta(
                    days=self.random.randint(0, 40),
                    hours=self.random.randint(1, 20),
                    minutes=number,
                )
                taken = (now - ago).replace(microsecond=0)
                pending.append(
                    Backup(
                        0,
                        server,
                        MANUAL,
                        taken,
                        f"Pre-update backup {number + 1}",
                        self._size(server),
                        None,
                        taken,
                    )
                )
            pending.extend(self._history(server, now))
        # The document's own example is not sorted; neither is the sandbox.
        self.random.shuffle(pending)
        for backup in pending:
            self._add(backup)

    def _history(self, server: Server, now: datetime) -> list[Backup]:
        """Manual backups of the last `history_days` days: two to five a day, at working
        hours, as people and scripts take them before a change."""
        made = []
        for day in range(self.config.history_days, 0, -1):
            for _ in range(self.random.randint(2, 5)):
                taken = (now - timedelta(days=day)).replace(
                    hour=self.random.randint(6, 21),
                    minute=self.random.randint(0, 59),
                    second=self.random.randint(0, 59),
                    microsecond=0,
                )
                description = self.random.choice(HISTORY_DESCRIPTIONS)
                made.append(
                    Backup(0, server, MANUAL, taken, description, self._size(server), None, taken)
                )
        return made

    def _seed_document_example(self) -> None:
        account = sorted(set(self.config.accounts.values()))[0]
        server = Server(12345, "web-server-01", account)
        self.servers[server.id] = server
        examples = [
            (501, AUTOMATIC, 4523, datetime(2025, 1, 16, 3, tzinfo=UTC), AUTOMATIC_DESCRIPTION),
            (499, MANUAL, 4456, datetime(2025, 1, 14, 10, 30, tzinfo=UTC), "Pre-update backup"),
            (495, AUTOMATIC, 4389, datetime(2025, 1, 15, 3, tzinfo=UTC), AUTOMATIC_DESCRIPTION),
        ]
        for backup_id, kind, size, taken, description in examples:
            expires = add_month(taken) if kind == AUTOMATIC else None
            self.backups[backup_id] = Backup(
                backup_id, server, kind, taken, description, size, expires, taken
            )
        self.next_id = 502

    def _automatic(self, server: Server, taken: datetime) -> Backup:
        return Backup(
            0,
            server,
            AUTOMATIC,
            taken,
            AUTOMATIC_DESCRIPTION,
            self._size(server),
            add_month(taken),
            taken,
            failed=self._fails(),
        )

    def _fails(self) -> bool:
        # Draws only when failures are on, so a seed's world without them stays as it was.
        rate = self.config.failure_rate
        return rate > 0 and self.random.random() < rate

    def _size(self, server: "Server") -> int:
        """A size near the server's own (within 10 %), as a real server's dumps are: each
        server has its usual size, from its id, between 800 MB and 9 GB. One draw, as ever,
        so a seed's world keeps its failures."""
        draw = self.random.randint(800, 9000)
        usual = 800 + (server.id * 7919) % 8200
        return round(usual * (0.9 + 0.2 * (draw - 800) / 8200))

    def _add(self, backup: Backup) -> Backup:
        backup.id = self.next_id
        self.next_id += 1
        self.backups[backup.id] = backup
        return backup

    # Time passing ---------------------------------------------------------------------------

    def _tick(self, now: datetime) -> None:
        """Take the daily 03:00 UTC backups that fell due and drop the expired ones."""
        if self.config.document_example:
            return
        for server_id, last in self.last_daily.items():
            server = self.servers[server_id]
            while last + timedelta(days=1) <= now:
                last += timedelta(days=1)
                self._add(self._automatic(server, last))
            self.last_daily[server_id] = last
        # The expiry scan is skipped while no backup was added or removed and none is due.
        held = (len(self.backups), self.next_id)
        if self._expiry_checked != held or now >= self._next_expiry:
            expired = [b.id for b in self.backups.values() if b.expires_at and b.expires_at <= now]
            for backup_id in expired:
                del self.backups[backup_id]
            self._next_expiry = min(
                (b.expires_at for b in self.backups.values() if b.expires_at), default=LATEST
            )
            self._expiry_checked = (len(self.backups), self.next_id)
        for server in self.servers.values():
            if server.active_at and now >= server.active_at:
                server.status, server.active_at = "active", None

    # The API's operations -------------------------------------------------------------------

    def list_backups(self, account: str, server_id: int | None, backup_type: str | None) -> list:
        return self.list_page(account, server_id, backup_type)[1]

    def list_page(
        self,
        account: str,
        server_id: int | None,
        backup_type: str | None,
        start: int = 0,
        stop: int | None = None,
    ) -> tuple[int, list]:
        """How many backups match, and those from `start` to `stop` as the API shows them
        (only a page's worth is turned into JSON: a big account is paged many times)."""
        with self.lock:
            now = self.clock()
            self._tick(now)
            # A big account is asked for page after page: the backups it holds are picked
            # once for as long as no backup is added or removed.
            held, asked = (len(self.backups), self.next_id), (account, server_id, backup_type)
            found = self._chosen.get(asked)
            if found is not None and found[0] == held:
                chosen = found[1]
            else:
                chosen = [
                    backup
                    for backup in self.backups.values()
                    if backup.server.account == account
                    and (server_id is None or backup.server.id == server_id)
                    and (backup_type is None or backup.backup_type == backup_type)
                ]
                self._chosen[asked] = (held, chosen)
            return len(chosen), [backup.as_json(now) for backup in chosen[start:stop]]

    def server(self, account: str, server_id: int) -> Server | None:
        server = self.servers.get(server_id)
        return server if server is not None and server.account == account else None

    def create_backup(self, account: str, server_id: int, description: str) -> dict | None:
        with self.lock:
            now = self.clock()
            self._tick(now)
            server = self.server(account, server_id)
            if server is None:
                return None
            created = now.replace(microsecond=0)
            backup = self._add(
                Backup(
                    0,
                    server,
                    MANUAL,
                    created,
                    description,
                    self._size(server),
                    None,
                    now + timedelta(seconds=self.config.completion_delay),
                )
            )
            return backup.as_json(now)

    def delete_backup(self, account: str, backup_id: int) -> bool:
        with self.lock:
            backup = self.backups.get(backup_id)
            if backup is None or backup.server.account != account:
                return False
            del self.backups[backup_id]
            return True

    def restore_server(self, account: str, server_id: int, backup_id: int) -> tuple[int, dict]:
        with self.lock:
            now = self.clock()
            self._tick(now)
            server = self.server(account, server_id)
            if server is None:
                return 404, {"detail": "Server not found."}
            backup = self.backups.get(backup_id)
            if backup is None or backup.server.account != account:
                return 404, {"detail": "Backup not found."}
            if backup.server.id != server_id:
                return 400, {"backup_id": ["This backup belongs to another server."]}
            status = backup.status(now)
            if status == FAILED:
                return 400, {"backup_id": ["This backup failed; it cannot restore a server."]}
            if status != COMPLETED:
                return 400, {"backup_id": ["This backup is not completed yet."]}
            server.status = "restoring"
            server.active_at = now + timedelta(seconds=self.config.restore_delay)
            return 202, {
                "server": {"id": server.id, "name": server.name, "status": server.status},
                "backup_id": backup.id,
                "message": f"Server {server.name} is being restored from backup {backup.id}.",
            }

    # Building worlds for tests ----------------------------------------------------------------

    def add_backup(
        self,
        server_id: int,
        *,
        status: str = COMPLETED,
        created_at: datetime | None = None,
        backup_type: str = AUTOMATIC,
        description: str | None = None,
        size_mb: int | None = None,
        completes_at: datetime | None = None,
    ) -> Backup:
        """One backup of a seeded server, as it is now: completed, failed, or in progress until
        `completes_at` (by default the configured delay from now)."""
        if status not in (COMPLETED, FAILED, IN_PROGRESS):
            raise ValueError(f"A backup cannot be added as {status!r}.")
        if backup_type not in (AUTOMATIC, MANUAL):
            raise ValueError(f"No backup type {backup_type!r}.")
        with self.lock:
            now = self.clock()
            self._tick(now)
            server = self.servers.get(server_id)
            if server is None:
                raise ValueError(f"No server {server_id} in the sandbox.")
            created = (created_at or now).replace(microsecond=0)
            if status != IN_PROGRESS:
                completes_at = created
            elif completes_at is None:
                completes_at = now + timedelta(seconds=self.config.completion_delay)
            if description is None:
                description = AUTOMATIC_DESCRIPTION if backup_type == AUTOMATIC else ""
            return self._add(
                Backup(
                    0,
                    server,
                    backup_type,
                    created,
                    description,
                    self._size(server) if size_mb is None else size_mb,
                    add_month(created) if backup_type == AUTOMATIC else None,
                    completes_at,
                    failed=status == FAILED,
                )
            )

    def fail_backup(self, backup_id: int) -> bool:
        """The backup fails at once (a nightly run going wrong); False for an unknown id."""
        with self.lock:
            backup = self.backups.get(backup_id)
            if backup is None:
                return False
            backup.failed = True
            return True
