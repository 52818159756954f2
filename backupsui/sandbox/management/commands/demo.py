"""`make run`: the sandbox on 127.0.0.1:8001, two demo users with sandbox tokens, the panel on
127.0.0.1:8000, all stopped by one Ctrl-C. Running it again keeps the database."""

import json
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from backupsui.accounts import tokens
from backupsui.accounts.roles import OPERATORS, SUPPORT
from backupsui.sandbox.config import new_token
from backupsui.sandbox.server import SandboxServer
from backupsui.sandbox.state import SandboxConfig
from backupsui.upstream import UpstreamError

DEMO_USERS = {"operator": OPERATORS, "support": SUPPORT}
CREDENTIALS = Path(settings.BASE_DIR) / "var" / "demo-credentials.json"


def _passwords() -> dict[str, str]:
    try:
        return json.loads(CREDENTIALS.read_text())
    except (OSError, ValueError):
        return {}


def _save_passwords(passwords: dict[str, str]) -> None:
    CREDENTIALS.parent.mkdir(exist_ok=True)
    CREDENTIALS.touch(mode=0o600)
    CREDENTIALS.write_text(json.dumps(passwords, indent=2))


class Command(BaseCommand):
    help = "Runs the panel with its local sandbox and two demo users (development only)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--sandbox-port", type=int, default=8001)
        parser.add_argument(
            "--delay",
            type=float,
            default=8.0,
            help="seconds a new backup stays in_progress in the sandbox",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The demo runs with DJANGO_DEBUG=1 only.")
        account_tokens = {name: new_token() for name in DEMO_USERS}
        accounts = {token: "acme" for token in account_tokens.values()}
        accounts[new_token()] = "globex"  # another customer, never visible to the demo users
        try:
            sandbox = SandboxServer(
                SandboxConfig(accounts=accounts, servers=4, completion_delay=options["delay"]),
                port=options["sandbox_port"],
            ).start()
        except OSError as error:
            raise CommandError(
                f"The sandbox cannot listen on port {options['sandbox_port']}: {error}"
            ) from None
        if sandbox.url != settings.BACKUPS_API_URL:
            self.stderr.write(
                f"Note: BACKUPS_API_URL is {settings.BACKUPS_API_URL}, "
                f"the sandbox is at {sandbox.url}."
            )
        passwords = _passwords()
        User = get_user_model()
        for username, role in DEMO_USERS.items():
            user, created = User.objects.get_or_create(username=username)
            if created or username not in passwords:
                passwords[username] = secrets.token_urlsafe(12)
                user.set_password(passwords[username])
                user.save()
            user.groups.add(Group.objects.get(name=role))
            try:
                tokens.verify_and_save(None, user, account_tokens[username])
            except UpstreamError as error:
                raise CommandError(f"Could not store the sandbox token: {error.message}") from None
        _save_passwords(passwords)
        self.stdout.write(
            self.style.SUCCESS(
                f"\nbackupsui: http://127.0.0.1:{options['port']}/   (sandbox API: {sandbox.url})"
            )
        )
        for username, role in DEMO_USERS.items():
            self.stdout.write(
                f"  sign in as {username:<9} password {passwords[username]:<18} ({role})"
            )
        self.stdout.write(
            f"  (passwords kept in {CREDENTIALS.relative_to(settings.BASE_DIR)})"
            "\nCtrl-C stops both.\n"
        )
        try:
            call_command("runserver", f"127.0.0.1:{options['port']}", use_reloader=False)
        finally:
            sandbox.stop()
