"""`make run`: the sandbox on 127.0.0.1:SANDBOX_PORT (8001), two demo users with sandbox
tokens, the panel on 127.0.0.1:PORT (8000), a worker per task queue and the scheduler, all
stopped by one Ctrl-C or SIGTERM. Running it again keeps the database and the passwords that
still work."""

import errno
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from backupsui.accounts import tokens
from backupsui.accounts.roles import OPERATORS, SUPPORT
from backupsui.audit.actors import Actor
from backupsui.sandbox.config import new_token
from backupsui.sandbox.server import SandboxServer
from backupsui.sandbox.state import SandboxConfig
from backupsui.upstream import UpstreamError

DEMO_USERS = {"operator": OPERATORS, "support": SUPPORT}
CREDENTIALS = Path(settings.BASE_DIR) / "var" / "demo-credentials.json"
HOST = "127.0.0.1"
FAILURE_RATE = 0.05  # a few failed nightly backups, so the panel shows them


def _passwords() -> dict[str, str]:
    try:
        stored = json.loads(CREDENTIALS.read_text())
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) else {}


def _save_passwords(passwords: dict[str, str]) -> None:
    """Written whole or not at all, readable by its owner only: a run stopped half-way never
    leaves a file that disagrees with the database."""
    CREDENTIALS.parent.mkdir(exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=CREDENTIALS.parent, prefix=".demo-credentials.")
    try:
        with os.fdopen(fd, "w") as file:
            json.dump(passwords, file, indent=2)
        os.replace(temporary, CREDENTIALS)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _spare_token() -> str:
    """The demo account's second token, to try on the token page: kept beside the passwords,
    so it is the same on every run (a person who stored it keeps a working token)."""
    kept_in = CREDENTIALS.with_name("demo-spare-token")
    try:
        kept = kept_in.read_text().strip()
    except OSError:
        kept = ""
    if kept.startswith("sbx_"):
        return kept
    made = new_token()
    kept_in.parent.mkdir(exist_ok=True)
    kept_in.write_text(made + "\n")
    kept_in.chmod(0o600)
    return made


UP_WITHIN = 60.0  # seconds the panel may take to answer before the welcome is said anyway
RULE = "=" * 76


def welcome(port: int, sandbox_url: str, passwords: dict[str, str], spare_token: str) -> str:
    """What to sign in with, framed by two rules and set apart by blank lines: the demo's
    one message that matters, among the log lines of five processes."""
    lines = [
        "",
        RULE,
        f"  backupsui: http://{HOST}:{port}/   (sandbox API: {sandbox_url})",
        "",
    ]
    for username, role in DEMO_USERS.items():
        lines += [
            f"  sign in as {role}:",
            f"    username: {username}",
            f"    password: {passwords[username]}",
        ]
    lines += [
        "",
        "  a second sandbox token of the same account as theirs (the same across runs),",
        f"  to try on the API token page: {spare_token}",
        f"  (passwords kept in {CREDENTIALS.relative_to(settings.BASE_DIR)})",
        "  background workers run restore jobs and alerts (alert emails print here), a",
        "  scheduler queues the periodic rounds. Ctrl-C stops them all.",
        RULE,
        "",
    ]
    return "\n".join(lines)


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        # As runserver binds: a connection of an earlier run still closing does not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def _another_port(port: int, avoid: int) -> int:
    """A port to suggest: near this one if one is free there, else any free one."""
    for candidate in range(port + 10, min(port + 20, 65536)):
        try:
            if candidate != avoid and _port_free(candidate):
                return candidate
        except OSError:
            continue
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _in_use(port: int, what: str, variable: str, avoid: int) -> CommandError:
    return CommandError(
        f"Port {port} is in use ({what}). "
        f"Pick another: make run {variable}={_another_port(port, avoid)}"
    )


def tcp_port(value: str) -> int:
    number = int(value)
    if not 0 < number < 65536:
        raise ValueError(value)
    return number


# Beside the panel, as production runs them: a worker per queue and the scheduler.
BACKGROUND = {
    "worker": ["worker", "--no-reload", "--interval", "1"],
    "alerts worker": ["worker", "--no-reload", "--interval", "1", "--queue-name", "alerts"],
    "scheduler": ["scheduler"],
}


def start_background() -> list[subprocess.Popen]:
    """The background processes, each in a process group of its own: a Ctrl-C in the
    terminal reaches the demo only, which stops them once and waits for them."""
    started = []
    try:
        for command in BACKGROUND.values():
            started.append(
                subprocess.Popen(  # noqa: S603 - our own commands, no outside input
                    [sys.executable, "manage.py", *command],
                    cwd=settings.BASE_DIR,
                    process_group=0,
                )
            )
    except BaseException:
        stop_background(started)
        raise
    return started


def stop_background(processes: list, patience: float = 30) -> None:
    """SIGTERM to each (a worker finishes its task first), SIGKILL to any still running."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=patience)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _interrupt(signum, frame):
    """SIGTERM (`kill`, a supervisor) stops the demo as Ctrl-C does: everything it started
    is stopped on the way out (a second SIGTERM does not cut that short)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Runs the panel with its local sandbox and two demo users (development only)."
    # runserver checks the project when it starts; before that, a busy port is one line.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--port", type=tcp_port, default=8000)
        parser.add_argument("--sandbox-port", type=tcp_port, default=8001)
        parser.add_argument(
            "--delay",
            type=float,
            default=8.0,
            help="seconds a new backup stays in_progress in the sandbox",
        )
        parser.add_argument(
            "--history-days",
            type=int,
            default=0,
            help="days of manual backups, several a day, on every sandbox server",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The demo runs with DJANGO_DEBUG=1 only.")
        before = signal.signal(signal.SIGTERM, _interrupt)
        try:
            self.serve(options)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, before)

    def serve(self, options):
        port, sandbox_port = options["port"], options["sandbox_port"]
        if port == sandbox_port:
            raise CommandError(f"The panel and the sandbox cannot share port {port}.")
        # Checked before anything starts, so a busy port leaves nothing half-running.
        try:
            if not _port_free(port):
                raise _in_use(port, "the panel", "PORT", sandbox_port)
        except OSError as error:
            raise CommandError(f"The panel cannot listen on port {port}: {error}") from None
        sandbox_url = f"http://{HOST}:{sandbox_port}/api/v1"
        if sandbox_url != settings.BACKUPS_API_URL:
            raise CommandError(
                f"BACKUPS_API_URL is {settings.BACKUPS_API_URL}, but the sandbox will be at "
                f"{sandbox_url}: start the demo with `make run`, or set BACKUPS_API_URL to it."
            )

        account_tokens = {name: new_token() for name in DEMO_USERS}
        spare_token = _spare_token()  # for trying the API token page
        accounts = {token: "acme" for token in [*account_tokens.values(), spare_token]}
        accounts[new_token()] = "globex"  # another customer, never visible to the demo users
        config = SandboxConfig(
            accounts=accounts,
            servers=4,
            completion_delay=options["delay"],
            failure_rate=FAILURE_RATE,
            history_days=max(0, options["history_days"]),
        )
        try:
            sandbox = SandboxServer(config, host=HOST, port=sandbox_port).start()
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise _in_use(sandbox_port, "the sandbox API", "SANDBOX_PORT", port) from None
            raise CommandError(
                f"The sandbox cannot listen on port {sandbox_port}: {error}"
            ) from None
        try:
            passwords = self.demo_users(account_tokens)
            said = welcome(port, sandbox.url, passwords, spare_token)
            background = start_background()
            # Said once the panel answers, after the start-up's log lines, framed: not lost
            # among them (or said at once if the panel does not answer within a minute).
            ready = threading.Event()
            threading.Thread(target=self.say_when_up, args=(port, said, ready), daemon=True).start()
            try:
                call_command("runserver", f"{HOST}:{port}", use_reloader=False)
            finally:
                ready.set()
                stop_background(background)
        finally:
            sandbox.stop()

    def say_when_up(self, port: int, said: str, stopped: threading.Event) -> None:
        deadline = time.monotonic() + UP_WITHIN
        while not stopped.is_set() and time.monotonic() < deadline:
            try:
                with socket.create_connection((HOST, port), timeout=1):
                    break
            except OSError:
                stopped.wait(0.2)
        if not stopped.is_set():
            self.stdout.write(said)
            self.stdout.flush()

    def demo_users(self, account_tokens: dict[str, str]) -> dict[str, str]:
        """Each demo user with its role, its sandbox token, and a password known to work."""
        passwords = _passwords()
        User = get_user_model()
        for username, role in DEMO_USERS.items():
            user, _ = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            stored = passwords.get(username)
            # A file left by another database, or by a run stopped half-way, may disagree.
            if not isinstance(stored, str) or not user.check_password(stored):
                passwords[username] = secrets.token_urlsafe(12)
                user.set_password(passwords[username])
                user.save()
                _save_passwords(passwords)
            user.groups.add(Group.objects.get(name=role))
            try:
                tokens.verify_and_save(Actor.named(username), user, account_tokens[username])
            except UpstreamError as error:
                raise CommandError(f"Could not store the sandbox token: {error.message}") from None
        for username in DEMO_USERS:
            if not User.objects.get(username=username).check_password(passwords[username]):
                raise CommandError(f"The demo user {username}'s password did not save.")
        return passwords
