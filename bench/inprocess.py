"""The list page in process: what one page costs against /healthz and a trivial signed-in view,
its database queries, and (with --profile) where its time goes. No gunicorn, no wrk, no
sockets but the sandbox's on loopback: a figure that holds on a machine busy with other work,
measured by turns (list, /healthz, trivial, list, ...) so that a busy moment falls on all three.

    .venv/bin/python bench/inprocess.py [--backups 10000] [--rounds 300] [--profile]

Production settings (debug off, compressed static files), SQLite in a temporary folder, a
sandbox in this process, the list kept for the whole run (a page within the cache)."""

import argparse
import cProfile
import gc
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "sbx_inprocess_" + secrets.token_urlsafe(12)
PAGES = {
    "list": "/backups/",
    "page 2": "/backups/?page=2",
    "servers": "/servers/",
    "healthz": "/healthz",
    "trivial": "/trivial/",
}


def configure(api_url: str, workdir: Path, cache_seconds: str = "86400") -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="backupsui.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        BACKUPSUI_TOKEN_KEYS=Fernet.generate_key().decode(),
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"sqlite:///{workdir / 'inprocess.sqlite3'}",
        DJANGO_LOG_LEVEL="WARNING",
        BACKUPSUI_MFA_REQUIRED="",
        BACKUPS_API_URL=api_url,
        BACKUPS_CACHE_SECONDS=cache_seconds,
        BACKUPS_STALE_SECONDS=cache_seconds,
    )
    import django

    django.setup()


def trivial_urls():
    """The panel's routes and one trivial signed-in page (base.html, nothing in it)."""
    from django.contrib.auth.decorators import login_required
    from django.shortcuts import render
    from django.urls import path

    from backupsui import urls

    @login_required
    def trivial(request):
        return render(request, "base.html", {})

    module = types.ModuleType("inprocess_urls")
    module.urlpatterns = [*urls.urlpatterns, path("trivial/", trivial)]
    module.handler403, module.handler500 = urls.handler403, urls.handler500
    sys.modules["inprocess_urls"] = module
    return "inprocess_urls"


def prepare():
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from backupsui.accounts.crypto import encrypt
    from backupsui.accounts.models import ApiToken

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    settings.ROOT_URLCONF = trivial_urls()
    user = User.objects.create_user("bench")
    user.groups.add(Group.objects.get(name="Operators"))
    ApiToken.objects.create(
        user=user, ciphertext=encrypt(TOKEN), last4=TOKEN[-4:], saved_at=timezone.now()
    )
    client = Client()
    client.force_login(user)
    return client


def get(client, url: str) -> None:
    answer = client.get(url)
    if answer.status_code != 200:
        raise SystemExit(f"{url} answered {answer.status_code}")
    if answer.streaming:
        b"".join(answer.streaming_content)


def queries(client) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counted = {}
    for name, url in PAGES.items():
        with CaptureQueriesContext(connection) as captured:
            get(client, url)
        counted[name] = [q["sql"][:110] for q in captured.captured_queries]
    return counted


def timed(client, rounds: int) -> dict:
    """Each page's median in milliseconds: its CPU time in this thread (what other processes
    on the machine disturb least), and the wall-clock time."""
    cpu, wall = {name: [] for name in PAGES}, {name: [] for name in PAGES}
    for _ in range(rounds):
        for name, url in PAGES.items():
            began, began_cpu = time.perf_counter(), time.thread_time()
            get(client, url)
            cpu[name].append((time.thread_time() - began_cpu) * 1000)
            wall[name].append((time.perf_counter() - began) * 1000)
    return {name: (statistics.median(cpu[name]), statistics.median(wall[name])) for name in PAGES}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backups", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="cProfile a page")
    parser.add_argument("--page", default="list", choices=list(PAGES), help="the page profiled")
    parser.add_argument("--queries", action="store_true", help="print each page's queries")
    parser.add_argument("--dump", help="with --profile: write the profile to this file")
    parser.add_argument("--cold", action="store_true", help="every page asks the API")
    parser.add_argument("--gc", choices=["on", "freeze", "off"], default="on")
    args = parser.parse_args()

    from backupsui.sandbox.server import SandboxServer
    from backupsui.sandbox.state import SandboxConfig

    sandbox = SandboxServer(
        SandboxConfig(
            accounts={TOKEN: "bench"},
            servers=SandboxConfig.servers_for(args.backups),
            completion_delay=3600,
        )
    ).start()
    workdir = Path(tempfile.mkdtemp(prefix="backupsui-inprocess-"))
    try:
        configure(sandbox.url, workdir, "0" if args.cold else "86400")
        client = prepare()
        for _ in range(2 if args.cold else 20):  # every order and page drawn once
            for url in PAGES.values():
                get(client, url)
        if args.gc == "freeze":
            gc.freeze()
        elif args.gc == "off":
            gc.disable()
        counted = queries(client)
        for name, found in counted.items():
            print(f"{name:>8}: {len(found)} queries")
            if args.queries:
                for sql in found:
                    print(f"          {sql}")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.rounds):
                get(client, PAGES[args.page])
            profile.disable()
            if args.dump:
                profile.dump_stats(args.dump)
            stats = pstats.Stats(profile)
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
            return 0
        medians = timed(client, args.rounds)
        floor, wall_floor = medians["healthz"]
        for name, (cpu, wall) in medians.items():
            print(
                f"{name:>8}: CPU p50 {cpu:6.2f} ms ({cpu / floor:4.1f}x /healthz), "
                f"wall p50 {wall:6.2f} ms ({wall / wall_floor:4.1f}x)"
            )
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
