from django.core.management.base import BaseCommand, CommandError

from backupsui.sandbox.config import accounts_from_env, new_token
from backupsui.sandbox.server import SandboxServer
from backupsui.sandbox.state import SandboxConfig


class Command(BaseCommand):
    help = (
        "Serves the local stand-in of the Backups API on loopback. Accounts come from "
        "SANDBOX_TOKENS ('token=account,…'); without it, one is made up and printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--verbose-requests", action="store_true")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--servers", type=int, default=3, help="servers per account")
        parser.add_argument(
            "--backups",
            type=int,
            default=0,
            help="about this many backups per account (overrides --servers)",
        )
        parser.add_argument(
            "--delay", type=float, default=5.0, help="seconds a new backup stays in_progress"
        )
        parser.add_argument("--restore-delay", type=float, default=5.0)
        parser.add_argument(
            "--failure-rate",
            type=float,
            default=0.0,
            help="fraction of automatic backups that fail (0 to 1)",
        )
        parser.add_argument(
            "--page-size",
            type=int,
            default=0,
            help="backups per page of the list, with next/previous links (0: one page)",
        )

        parser.add_argument(
            "--history-days",
            type=int,
            default=0,
            help="days of manual backups, several a day, on every server",
        )

    def handle(self, *args, **options):
        accounts = accounts_from_env()
        if not accounts:
            token = new_token()
            accounts = {token: "demo"}
            self.stdout.write(f"No SANDBOX_TOKENS set; sandbox token for account 'demo': {token}")
        servers = options["servers"]
        if options["backups"]:
            servers = SandboxConfig.servers_for(options["backups"])
        try:
            config = SandboxConfig(
                accounts=accounts,
                seed=options["seed"],
                servers=servers,
                completion_delay=options["delay"],
                restore_delay=options["restore_delay"],
                failure_rate=options["failure_rate"],
                page_size=options["page_size"],
                history_days=options["history_days"],
            )
            server = SandboxServer(
                config,
                host=options["host"],
                port=options["port"],
                verbose=options["verbose_requests"],
            )
        except (ValueError, OSError) as error:
            raise CommandError(str(error)) from None
        count = len(server.state.backups)
        self.stdout.write(f"Sandbox Backups API at {server.url} ({count} backups). Ctrl-C stops.")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.httpd.server_close()
