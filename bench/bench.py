"""`make bench`: the panel under gunicorn, in its production configuration, against the
sandbox on loopback, measured with wrk. Prints a table and writes bench-results.json.

Everything listens on 127.0.0.1 only; every wrk run is bounded in time (a few seconds)."""

import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
LUA = ROOT / "bench" / "wrk_stats.lua"
LUA_USERS = ROOT / "bench" / "wrk_users.lua"
TOKEN = "sbx_bench_" + secrets.token_urlsafe(16)
PASSWORD = secrets.token_urlsafe(16)
SIZES = (1_000, 10_000, 100_000)
LARGE = 100_000  # measured with fewer rounds: one list takes about a second
PEOPLE = 50  # browsing at once, each with their own remembered list
# Many people on big accounts across two replicas, each with their own token.
CROWD, CROWD_ACCOUNTS, CROWD_SECONDS, CROWD_WINDOW = 20, 6, 60, 5.0
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
TARGETS = {
    "list_vs_upstream": 1.15,
    "small_list_vs_upstream": 2.0,
    "page2_vs_upstream": 0.15,
    "list_vs_trivial_c8": 2.0,
    "small_list_vs_trivial_c8": 2.0,
    "list_vs_healthz_same_loop": 3.0,
    "poll_bytes": 2048,
    "list_kb_compressed": 60,
    "worker_mb": 150,
    "people_worker_mb": 250,
    "large_list_vs_upstream": 1.15,
    "servers_vs_list": 2.0,
    "metrics_1000_servers_ms": 50,
    "round_rewrites_unchanged": 0,
}
METRICS_SERVERS = 1_000
METRICS_KEY = "bench-" + secrets.token_urlsafe(16)
# The round's writes for an account of 100,000 backups on 10,000 servers: the first look
# writes every server, a second look at the same list nothing, one changed server one row.
ROUND_SCRIPT = """
import json, time
from datetime import UTC, datetime, timedelta
from backupsui.backups import servers_seen
from backupsui.backups.lists import BackupList
from backupsui.backups.models import ServerState
from backupsui.upstream import Backup, Listing, Server
now = datetime.now(UTC)
def account(failed=None):
    return BackupList(Listing(
        Backup(id=i + 1, server=Server(id=500_000 + i % 10_000, name=f"vm-{i % 10_000:05d}"),
               backup_type="automatic", status="failed" if i == failed else "completed",
               size_mb=1024, created_at=now - timedelta(hours=2 + i // 10_000))
        for i in range(100_000)))
ServerState.objects.filter(server_id__range=(500_000, 509_999)).delete()
took = {}
def timed(name, listed):
    started = time.monotonic()
    written = servers_seen.record(listed, now)
    took[name] = (time.monotonic() - started) * 1000
    return written
first = timed("first", account())
again = timed("again", account())
one = timed("one", account(failed=99_999))
ServerState.objects.filter(server_id__range=(500_000, 509_999)).delete()
print(json.dumps({"first": first, "again": again, "one": one, "ms": took}))
"""
# 1,000 servers' states, as the round keeps them, for /metrics to read.
METRICS_SCRIPT = f"""
from datetime import UTC, datetime, timedelta
from backupsui.backups.models import ServerState
now = datetime.now(UTC)
ServerState.objects.bulk_create(
    ServerState(server_id=900_000 + i, name=f"vm-{{i:04d}}", last_seen_at=now,
                last_completed_at=now - timedelta(hours=i % 60), last_completed_id=i + 1,
                failures_7d=i % 3, health="good")
    for i in range({METRICS_SERVERS}))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"nothing answered at {url} within {seconds} s")


class Stack:
    """The sandbox and the panel (under gunicorn), as separate processes on loopback."""

    def __init__(self, backups: int, workdir: Path, api_url: str | None = None):
        self.workdir = workdir
        self.env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="backupsui.settings",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            BACKUPSUI_TOKEN_KEYS=Fernet.generate_key().decode(),
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            # Plain HTTP on loopback: in production a TLS proxy sits in front.
            DJANGO_SECURE_SSL_REDIRECT="0",
            DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
            SANDBOX_TOKENS=f"{TOKEN}=bench",
            DJANGO_LOG_LEVEL="WARNING",
            # What is measured is the pages' speed: the bench person needs no second factor.
            BACKUPSUI_MFA_REQUIRED="",
        )
        self.env.pop("DJANGO_DEBUG_PROPAGATE", None)
        self.processes: list[subprocess.Popen] = []
        if api_url is not None:  # a sandbox of the caller's
            self.env["BACKUPS_API_URL"] = api_url
            return
        self.sandbox_port = free_port()
        self.env["BACKUPS_API_URL"] = f"http://127.0.0.1:{self.sandbox_port}/api/v1"
        self.start(
            [
                PY,
                "manage.py",
                "sandbox",
                "--port",
                str(self.sandbox_port),
                "--backups",
                str(backups),
                "--delay",
                "3600",
            ]
        )
        wait_for(self.env["BACKUPS_API_URL"] + "/backups/")

    def start(self, command, **env) -> subprocess.Popen:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**self.env, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def manage(self, *args, stdin=None) -> str:
        return subprocess.run(
            [PY, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            text=True,
            check=True,
            capture_output=True,
        ).stdout

    def panel(self, cache_seconds: float, **env) -> tuple[str, subprocess.Popen]:
        port = free_port()
        process = self.start(
            [PY, "-m", "gunicorn", "backupsui.wsgi", "-c", "gunicorn.conf.py"],
            GUNICORN_BIND=f"127.0.0.1:{port}",
            BACKUPS_CACHE_SECONDS=str(cache_seconds),
            **env,
        )
        url = f"http://127.0.0.1:{port}"
        wait_for(url + "/healthz")
        return url, process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


class Browser:
    """requests with a cookie jar that forgets the Secure flag: the bench speaks plain HTTP on
    loopback to a panel whose cookies are Secure, as a TLS proxy would make right."""

    def __init__(self):
        self.http = requests.Session()
        self.cookies: dict[str, str] = {}

    def request(self, method, url, **kwargs):
        answer = self.http.request(method, url, cookies=self.cookies, **kwargs)
        self.cookies.update({c.name: c.value for c in answer.cookies})
        self.http.cookies.clear()
        return answer

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


def hidden_fields(page: str) -> dict:
    """The CSRF token and the form's one-time key, as a browser sends them back."""
    found = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    return {k: v for k, v in found.items() if k in ("csrfmiddlewaretoken", "idempotency_key")}


def sign_in(url: str, username: str = "bench") -> Browser:
    browser = Browser()
    page = browser.get(url + "/accounts/login/")
    answer = browser.request(
        "POST",
        url + "/accounts/login/",
        data={**hidden_fields(page.text), "username": username, "password": PASSWORD},
        headers={"Referer": url + "/accounts/login/"},
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise SystemExit(f"the bench user could not sign in ({answer.status_code})")
    return browser


def wrk(
    url: str,
    cookie: str,
    connections: int = 1,
    seconds: int = SECONDS,
    cookies_file=None,
    headers: tuple[str, ...] = (),
) -> dict:
    threads = min(connections, 2)
    if cookies_file is None:
        extra = [arg for header in headers for arg in ("-H", header)]
        script = ["-s", str(LUA), "-H", f"Cookie: {cookie}", "-H", "Accept-Encoding: gzip"]
        script += [*extra, url]
    else:
        script = ["-s", str(LUA_USERS), url, "--", str(cookies_file)]
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", *script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    stats = json.loads(output.strip().splitlines()[-1])
    if stats["errors"] or stats["non2xx"]:
        raise SystemExit(f"wrk saw failures on {url}: {stats}")
    stats["rps"] = stats["requests"] / stats["seconds"]
    return stats


def bare_upstream(api: str, rounds: int) -> dict:
    """The baseline: the same list fetched with requests and parsed, nothing else."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        session.get(api + "/backups/", headers=headers, timeout=30).json()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1]}


def same_loop(session: Browser, url: str, rounds: int = 300) -> dict:
    """The list page and /healthz asked by turns, one after the other, each timed: a busy
    moment of the machine falls on both alike."""
    took = {"list": [], "healthz": []}
    for _ in range(rounds):
        for name, path in (("list", "/backups/"), ("healthz", "/healthz")):
            began = time.perf_counter()
            answer = session.get(url + path, headers={"Accept-Encoding": "gzip"})
            took[name].append((time.perf_counter() - began) * 1000)
            if answer.status_code != 200:
                raise SystemExit(f"{path} answered {answer.status_code} in the same loop")
    found = {f"{name}_p50": statistics.median(times) for name, times in took.items()}
    found["ratio"] = found["list_p50"] / found["healthz_p50"]
    return found


def compressed_size(session: Browser, url: str) -> int:
    answer = session.get(url, headers={"Accept-Encoding": "gzip, br"}, stream=True)
    return len(answer.raw.read(decode_content=False))


def transfer_size(session: Browser, url: str) -> dict:
    page = session.get(url + "/backups/")
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', page.text)
    html = compressed_size(session, url + "/backups/")
    static = sum(compressed_size(session, url + asset) for asset in assets)
    return {
        "html_bytes": html,
        "static_bytes": static,
        "total_kb": (html + static) / 1024,
        "assets": len(assets),
    }


def worker_peak_mb(master: subprocess.Popen) -> float:
    peak = 0
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        peak = max(peak, int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]))
    return peak / 1024


PEOPLE_SCRIPT = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from backupsui.accounts.crypto import encrypt
from backupsui.accounts.models import ApiToken

support = Group.objects.get(name="Support")
sealed = encrypt(TOKEN)
for number in range(COUNT):
    user = User.objects.create_user(f"person{number:02d}")
    user.groups.add(support)
    ApiToken.objects.create(
        user=user, ciphertext=sealed, last4=TOKEN[-4:], saved_at=timezone.now(),
        lists_version=number,
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    print("SESSION", session.session_key)
"""


def sessions_made(said: str) -> list[str]:
    """The session keys a script printed ("SESSION key"), among whatever else it logged."""
    return [line.split()[1] for line in said.splitlines() if line.startswith("SESSION ")]


def add_people(stack: Stack, count: int) -> list[str]:
    """People who may view backups, each signed in and storing the bench token: each has
    their own remembered 10,000-backup list, as people of one account would. Sessions are
    made directly: fifty password checks would only measure the password hasher."""
    script = f"TOKEN = {TOKEN!r}\nCOUNT = {count}\n" + PEOPLE_SCRIPT
    return [f"__Host-sessionid={key}" for key in sessions_made(stack.manage("shell", "-c", script))]


def signed_in(url: str, cookie: str) -> None:
    """Stops the bench when a made-up session does not reach the list: a bench that measured
    the sign-in page would print figures that mean nothing."""
    answer = requests.get(
        url + "/backups/", headers={"Cookie": cookie}, allow_redirects=False, timeout=60
    )
    if answer.status_code != 200:
        raise SystemExit(f"a bench session was not signed in ({answer.status_code})")


def stop(stack: Stack, process: subprocess.Popen) -> None:
    stack.processes.remove(process)
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=10)


def prepare(stack: Stack) -> None:
    """The database, the bench person (an Operator) with the bench token, static files."""
    stack.manage("migrate", "--noinput")
    stack.manage(
        "shell",
        "-c",
        (
            "from django.contrib.auth.models import User, Group;"
            f"u = User.objects.create_user('bench', password='{PASSWORD}');"
            "u.groups.add(Group.objects.get(name='Operators'))"
        ),
    )
    stack.manage("set_api_token", "bench", stdin=TOKEN + "\n")
    stack.manage("collectstatic", "--noinput", "-v0")


def measure(backups: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="backupsui-bench-"))
    stack = Stack(backups, workdir)
    large = backups >= LARGE
    try:
        prepare(stack)
        api = stack.env["BACKUPS_API_URL"]
        total = requests.get(
            api + "/backups/", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
        ).json()["count"]
        result = {"backups": total, "upstream": bare_upstream(api, 8 if large else 30)}

        cold_url, cold = stack.panel(cache_seconds=0)
        cookie = sign_in(cold_url).header()
        result["list_cold"] = wrk(cold_url + "/backups/", cookie, seconds=10 if large else SECONDS)
        stop(stack, cold)

        url, master = stack.panel(cache_seconds=5)
        session = sign_in(url)
        cookie = session.header()
        result["list_warm"] = wrk(url + "/backups/", cookie)
        result["same_loop"] = same_loop(session, url, rounds=60 if large else 300)
        result["page2"] = wrk(url + "/backups/?page=2", cookie)
        result["servers"] = wrk(url + "/servers/", cookie)
        if large:
            result["worker_peak_mb"] = worker_peak_mb(master)
            return result
        idle_page = session.get(url + "/backups/").text
        result["polls_while_idle"] = idle_page.count("data-poll")
        result["list_rps_c8"] = wrk(url + "/backups/", cookie, connections=8)
        result["trivial_rps_c8"] = wrk(url + "/healthz", cookie, connections=8)
        result["transfer"] = transfer_size(session, url)
        # One backup in progress among all the others: what one poll costs.
        form = hidden_fields(session.get(url + "/backups/new/").text)
        session.request(
            "POST",
            url + "/backups/new/",
            data={**form, "server_id": "12345"},
            headers={"Referer": url + "/backups/new/"},
        )
        page = session.get(url + "/backups/").text
        poll = re.search(r'hx-get="(/backups/poll/[^"]+)"', page)[1].replace("&amp;", "&")
        result["poll"] = wrk(url + poll, cookie)
        result["poll"]["response_bytes"] = len(session.get(url + poll).content)
        result["worker_peak_mb"] = worker_peak_mb(master)
        stop(stack, master)

        if backups == 10_000:
            said = stack.manage("shell", "-v", "0", "-c", ROUND_SCRIPT)
            result["round_writes"] = json.loads(said.strip().splitlines()[-1])
            stack.manage("shell", "-v", "0", "-c", METRICS_SCRIPT)
            metrics_url, metrics = stack.panel(cache_seconds=5, BACKUPSUI_METRICS_TOKEN=METRICS_KEY)
            result["metrics"] = wrk(
                metrics_url + "/metrics", "", headers=(f"Authorization: Bearer {METRICS_KEY}",)
            )
            stop(stack, metrics)

        if backups >= 10_000:
            # Many people at once, each with their own list: the byte budget holds.
            crowd_url, crowd = stack.panel(cache_seconds=5)
            cookies = workdir / "cookies.txt"
            sessions = add_people(stack, PEOPLE)
            signed_in(crowd_url, sessions[0])
            cookies.write_text("\n".join(sessions))
            result["people"] = wrk(
                crowd_url + "/backups/", "", connections=PEOPLE, cookies_file=cookies
            )
            result["people_worker_peak_mb"] = worker_peak_mb(crowd)
        return result
    finally:
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


CROWD_SCRIPT = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from backupsui.accounts.crypto import encrypt
from backupsui.accounts.models import ApiToken

support = Group.objects.get(name="Support")
for number, token in enumerate(TOKENS):
    user = User.objects.create_user(f"crowd{number:02d}")
    user.groups.add(support)
    ApiToken.objects.create(
        user=user, ciphertext=encrypt(token), last4=token[-4:], saved_at=timezone.now()
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    print("SESSION", session.session_key)
"""


def warm(urls: list[str], cookie: str) -> None:
    """Every worker of every replica draws the list page once before anything is timed (eight
    requests at once per replica, one person's list): what is timed is a cold list, not a
    worker's first page."""
    from concurrent.futures import ThreadPoolExecutor

    def draw(url: str) -> None:
        requests.get(url + "/backups/", headers={"Cookie": cookie}, timeout=60)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(draw, [url for url in urls for _ in range(8)]))


def crowd(redis_url: str | None) -> dict:
    """CROWD people, each with their own token, on CROWD_ACCOUNTS accounts of 10,000 backups
    (the sandbox paging 1,000 at a time), browse two replicas of two workers for
    CROWD_SECONDS; the sandbox (in this process) counts the list fetches of each token."""
    sys.path.insert(0, str(ROOT))
    from backupsui.sandbox.server import SandboxServer
    from backupsui.sandbox.state import SandboxConfig
    from tests.crowd import ListFetches, browse

    tokens = [f"sbx_crowd_{n:02d}_" + secrets.token_urlsafe(8) for n in range(CROWD)]
    config = SandboxConfig(
        accounts={token: f"account-{n % CROWD_ACCOUNTS}" for n, token in enumerate(tokens)},
        servers=SandboxConfig.servers_for(10_000),
        completion_delay=3600,
        page_size=1000,
    )
    sandbox = SandboxServer(config).start()
    workdir = Path(tempfile.mkdtemp(prefix="backupsui-bench-"))
    stack = Stack(10_000, workdir, api_url=sandbox.url)
    shared = {"BACKUPSUI_CACHE_URL": redis_url} if redis_url else {}
    try:
        stack.manage("migrate", "--noinput")
        stack.manage("collectstatic", "--noinput", "-v0")  # BENCH_ONLY=crowd on a new clone
        script = f"TOKENS = {tokens!r}\n" + CROWD_SCRIPT
        keys = sessions_made(stack.manage("shell", "-c", script))
        urls = [stack.panel(cache_seconds=CROWD_WINDOW, **shared)[0] for _ in range(2)]
        people = []
        for key in keys:
            browser = Browser()
            browser.cookies["__Host-sessionid"] = key
            people.append((browser, urls))
        signed_in(urls[0], f"__Host-sessionid={keys[0]}")
        warm(urls, f"__Host-sessionid={keys[-1]}")
        cold = []
        # One person's cold list, alone: five people whose lists nobody fetched yet (not the
        # first, whose list the sign-in check fetched, nor the last, whose list warmed the
        # workers), on each replica in turn.
        for n, (browser, _urls) in enumerate(people[1:6]):
            began = time.monotonic()
            browser.get(urls[n % 2] + "/backups/")
            cold.append((time.monotonic() - began) * 1000)
        fetches = ListFetches(sandbox)  # the crowd's fetches, from here on
        seen = browse(people, seconds=CROWD_SECONDS)
        windows = CROWD_SECONDS / CROWD_WINDOW
        return {
            "p50": seen["p50"],
            "p95": seen["p95"],
            "pages": seen["answers"],
            "errors": len(seen["errors"]),
            "cold_one_person_ms": statistics.median(cold),
            "fetches": fetches.count,
            "fetches_per_token_window": fetches.count / len(tokens) / windows,
            "most_in_a_window": fetches.most_in_window(CROWD_WINDOW),
        }
    finally:
        stack.stop()
        sandbox.stop()
        shutil.rmtree(workdir, ignore_errors=True)


# One plan over every server of an account of 1,000 servers (the sandbox's 30 days of daily
# automatic backups and seventy manual ones each, the manual ones the plan's own: about
# 100,000 backups): how long retention takes to decide,
# then one run (Run now) carried out in a process of its own, its upstream calls counted at
# the sandbox.
PLAN_SCRIPT = """
import json, time
from django.contrib.auth.models import User
from backupsui.backups.account import account_for
from backupsui.plans import retention
from backupsui.plans.models import Plan, PlanBackup
owner = User.objects.get(username="bench")
plan = Plan.objects.create(
    name="Nightly", owner=owner, schedule="30 2 * * *", keep_last=3, keep_daily=7, keep_weekly=4
)
listed = account_for(owner).backups()
mine = [b for b in listed.backups if b.backup_type == "manual"]
PlanBackup.objects.bulk_create(
    [PlanBackup(plan=plan, server_id=b.server.id, backup_id=b.id, slot=b.created_at) for b in mine],
    batch_size=2000,
)
made = set(plan.backups.values_list("backup_id", flat=True))
took = []
for _ in range(5):
    began = time.monotonic()
    decided = retention.decide(listed.backups, made, set(), plan.rules, plan.zone)
    going = retention.to_delete(decided)
    took.append((time.monotonic() - began) * 1000)
print(json.dumps({
    "plan": plan.pk, "backups": len(listed.backups), "servers": len(listed.servers()),
    "plans_backups": len(made), "would_delete": len(going), "decide_ms": sorted(took),
}))
"""
RUN_SCRIPT = """
import json, time
from backupsui.plans import runner, schedule
from backupsui.plans.models import Plan
began = time.monotonic()
run = runner.carry_out(schedule.run_now(Plan.objects.get(pk=PLAN)).pk)
print(json.dumps({"outcome": run.outcome, "created": run.created, "deleted": run.deleted,
                  "skipped": len(run.skipped or []), "seconds": time.monotonic() - began}))
"""
MANAGER_SERVERS, MANAGER_DAYS, MANAGER_MANUAL = 1_000, 90, 70
STORY_BACKUPS = 5_000  # one server's, beside another as large


class UpstreamCalls:
    """Counts the calls the sandbox (in this process) answers: list fetches (first pages),
    creates and deletes."""

    def __init__(self, server):
        from collections import Counter
        from urllib.parse import parse_qs

        app = server.httpd.get_app()
        original = app.route
        self.seen = Counter()

        def counted(environ):
            method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
            page = parse_qs(environ.get("QUERY_STRING", "")).get("page", ["1"])[-1]
            if method == "GET":
                self.seen["list" if page == "1" else "list page"] += 1
            elif method == "POST" and path.endswith("/backups/"):
                self.seen["create"] += 1
            else:
                self.seen[method.lower()] += 1
            return original(environ)

        app.route = counted


def manager() -> dict:
    """A backup manager's rows: a plan over 1,000 servers and about 100,000 backups (its
    retention decision, the upstream calls of one run, /plans/ against the list page),
    /reports/ for 90 days over those 1,000 servers, and the page of a server with 5,000
    backups against the list page of its account."""
    sys.path.insert(0, str(ROOT))
    from backupsui.sandbox.server import SandboxServer
    from backupsui.sandbox.state import SandboxConfig

    result = {}
    config = SandboxConfig(
        accounts={TOKEN: "bench"},
        servers=MANAGER_SERVERS,
        days=MANAGER_DAYS,
        manual_per_server=MANAGER_MANUAL,
        completion_delay=3600,
    )
    sandbox = SandboxServer(config).start()
    workdir = Path(tempfile.mkdtemp(prefix="backupsui-bench-"))
    stack = Stack(0, workdir, api_url=sandbox.url)
    try:
        prepare(stack)
        calls = UpstreamCalls(sandbox)
        decided = json.loads(stack.manage("shell", "-v", "0", "-c", PLAN_SCRIPT).splitlines()[-1])
        result["plan"] = decided
        url, _master = stack.panel(cache_seconds=5)
        cookie = sign_in(url).header()
        result["list"] = wrk(url + "/backups/", cookie)
        result["plans_page"] = wrk(url + "/plans/", cookie)
        today = time.strftime("%Y-%m-%d")
        since = time.strftime("%Y-%m-%d", time.localtime(time.time() - 89 * 86400))
        result["report"] = wrk(f"{url}/reports/?since={since}&until={today}", cookie)
        calls.seen.clear()
        script = f"PLAN = {decided['plan']}\n" + RUN_SCRIPT
        result["run"] = json.loads(stack.manage("shell", "-v", "0", "-c", script).splitlines()[-1])
        result["run"]["upstream"] = dict(calls.seen)
    finally:
        stack.stop()
        sandbox.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    # Two servers of 5,000 backups each: one server's page against the account's list page.
    config = SandboxConfig(
        accounts={TOKEN: "bench"}, servers=2, days=STORY_BACKUPS - 2, completion_delay=3600
    )
    sandbox = SandboxServer(config).start()
    workdir = Path(tempfile.mkdtemp(prefix="backupsui-bench-"))
    stack = Stack(0, workdir, api_url=sandbox.url)
    try:
        prepare(stack)
        url, _master = stack.panel(cache_seconds=5)
        cookie = sign_in(url).header()
        server = min(sandbox.httpd.get_app().state.servers)
        result["story_list"] = wrk(url + "/backups/", cookie)
        result["story"] = wrk(f"{url}/servers/{server}/", cookie)
    finally:
        stack.stop()
        sandbox.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def manager_table(r: dict) -> str:
    plan, run = r["plan"], r["run"]
    up = run["upstream"]
    return "\n".join(
        [
            f"A plan over {plan['servers']:,} servers, {plan['backups']:,} backups "
            f"({plan['plans_backups']:,} of them the plan's; keep-last 3, keep-daily 7, "
            "keep-weekly 4):",
            f"  retention decision: {plan['decide_ms'][len(plan['decide_ms']) // 2]:,.0f} ms "
            f"(target <= 500), {plan['would_delete']:,} would go",
            f"  one run: {run['seconds']:,.1f} s, outcome {run['outcome']}, created "
            f"{run['created']:,}, deleted {run['deleted']}, skipped {run['skipped']}; upstream "
            f"calls: {up.get('list', 0)} list + {up.get('list page', 0)} further pages + "
            f"{up.get('create', 0):,} creates + {up.get('delete', 0)} deletes "
            "(target: 1 list + the creates + the deletes)",
            f"  /plans/ p50 {r['plans_page']['p50']:,.1f} ms against the list page "
            f"{r['list']['p50']:,.1f} ms: {r['plans_page']['p50'] / r['list']['p50']:.2f}x "
            "(target <= 2)",
            f"  /reports/, 90 days, p50 {r['report']['p50']:,.1f} ms, "
            f"p95 {r['report']['p95']:,.1f} ms (target <= 1000)",
            f"A server's page, {STORY_BACKUPS:,} backups: p50 {r['story']['p50']:,.1f} ms against "
            f"its account's list page ({2 * STORY_BACKUPS:,} backups) {r['story_list']['p50']:,.1f}"
            f" ms: {r['story']['p50'] / r['story_list']['p50']:.2f}x (target <= 2)",
        ]
    )


def redis_for_bench() -> str | None:
    """The Redis of BACKUPSUI_BENCH_REDIS_URL (a database the bench empties), if it answers."""
    import redis

    url = os.environ.get("BACKUPSUI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.RedisError:
        return None
    return url


def crowds() -> dict:
    url = redis_for_bench()
    measured = {"without Redis": crowd(None)}
    if url is not None:
        measured["with Redis"] = crowd(url)
    return measured


def crowd_table(measured: dict) -> str:
    lines = [
        f"{CROWD} people on {CROWD_ACCOUNTS} accounts of 10,000 backups (pages of 1,000), "
        f"2 replicas x 2 workers, {CROWD_SECONDS} s, window {CROWD_WINDOW:g} s:"
    ]
    for name, r in measured.items():
        lines.append(
            f"  {name:<14} p50 {r['p50']:>8,.1f} ms  p95 {r['p95']:>8,.1f} ms  "
            f"errors {r['errors']:>3} of {r['pages']:>4}  fetches per token per window "
            f"{r['fetches_per_token_window']:.2f} (most in one window {r['most_in_a_window']})  "
            f"one person's cold list {r['cold_one_person_ms']:,.0f} ms"
        )
    return "\n".join(lines)


def verdicts(results: dict) -> dict:
    small, middle, large = results[1_000], results[10_000], results[LARGE]
    return {
        "list_vs_upstream": middle["list_cold"]["p50"] / middle["upstream"]["p50"],
        "small_list_vs_upstream": small["list_cold"]["p50"] / small["upstream"]["p50"],
        "page2_vs_upstream": middle["page2"]["p50"] / middle["upstream"]["p50"],
        "list_vs_trivial_c8": middle["trivial_rps_c8"]["rps"] / middle["list_rps_c8"]["rps"],
        "small_list_vs_trivial_c8": small["trivial_rps_c8"]["rps"] / small["list_rps_c8"]["rps"],
        "list_vs_healthz_same_loop": max(r["same_loop"]["ratio"] for r in (small, middle)),
        "poll_bytes": middle["poll"]["response_bytes"],
        "list_kb_compressed": middle["transfer"]["total_kb"],
        "worker_mb": middle["worker_peak_mb"],
        "people_worker_mb": middle["people_worker_peak_mb"],
        "large_list_vs_upstream": large["list_cold"]["p50"] / large["upstream"]["p50"],
        "servers_vs_list": middle["servers"]["p50"] / middle["list_warm"]["p50"],
        "metrics_1000_servers_ms": middle["metrics"]["p50"],
        "round_rewrites_unchanged": middle["round_writes"]["again"],
    }


def table(results: dict) -> str:
    rows = [("", *(f"{n:,} backups" for n in results))]

    def row(label, pick, unit="", digits=1):
        cells = []
        for measured in results.values():
            try:
                cells.append(f"{pick(measured):,.{digits}f}{unit}")
            except KeyError:
                cells.append("—")
        rows.append((label, *cells))

    row("bare upstream list, parsed: p50", lambda r: r["upstream"]["p50"], " ms")
    row("bare upstream list, parsed: p95", lambda r: r["upstream"]["p95"], " ms")
    row("list page, cold (asks upstream): p50", lambda r: r["list_cold"]["p50"], " ms")
    row("list page, cold (asks upstream): p95", lambda r: r["list_cold"]["p95"], " ms")
    row(
        "  ratio to bare upstream (target <= 2 / 1.15 / 1.15)",
        lambda r: r["list_cold"]["p50"] / r["upstream"]["p50"],
        "x",
        2,
    )
    row("list page, within the cache: p50", lambda r: r["list_warm"]["p50"], " ms")
    row("  same loop as /healthz: list p50", lambda r: r["same_loop"]["list_p50"], " ms")
    row("  same loop as /healthz: /healthz p50", lambda r: r["same_loop"]["healthz_p50"], " ms")
    row("  ratio to /healthz, same loop (target <= 3)", lambda r: r["same_loop"]["ratio"], "x", 2)
    row("second page: p50", lambda r: r["page2"]["p50"], " ms")
    row(
        "  ratio to bare upstream (target <= 0.15 at 10,000)",
        lambda r: r["page2"]["p50"] / r["upstream"]["p50"],
        "x",
        2,
    )
    row("servers page, within the cache: p50", lambda r: r["servers"]["p50"], " ms")
    row(
        "  ratio to the list page (target <= 2)",
        lambda r: r["servers"]["p50"] / r["list_warm"]["p50"],
        "x",
        2,
    )
    row("poll, 1 in progress: p50", lambda r: r["poll"]["p50"], " ms")
    row("poll response (target <= 2048)", lambda r: r["poll"]["response_bytes"], " B")
    row("polls on an idle page (target 0)", lambda r: r["polls_while_idle"])
    row("list page, 8 connections", lambda r: r["list_rps_c8"]["rps"], " req/s")
    row("trivial view (/healthz), 8 connections", lambda r: r["trivial_rps_c8"]["rps"], " req/s")
    row(
        "  its cost against the list page's (target <= 2)",
        lambda r: r["trivial_rps_c8"]["rps"] / r["list_rps_c8"]["rps"],
        "x",
        2,
    )
    row("list page transfer, compressed (target <= 60)", lambda r: r["transfer"]["total_kb"], " kB")
    row("worker peak resident (target <= 150)", lambda r: r["worker_peak_mb"], " MB")
    row(f"{PEOPLE} people at once, each a list: p50", lambda r: r["people"]["p50"], " ms")
    row(
        f"{PEOPLE} people: worker peak (target <= 250)", lambda r: r["people_worker_peak_mb"], " MB"
    )
    row(
        f"/metrics, {METRICS_SERVERS:,} servers: p50 (target <= 50)",
        lambda r: r["metrics"]["p50"],
        " ms",
    )
    row(
        "round, 100,000 backups on 10,000 servers: rows, first look",
        lambda r: r["round_writes"]["first"],
    )
    row("  rows written, same list again (target 0)", lambda r: r["round_writes"]["again"])
    row("  rows written, one server changed (target 1)", lambda r: r["round_writes"]["one"])
    row("  time, same list again", lambda r: r["round_writes"]["ms"]["again"], " ms")
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    )


PARTS = ("lists", "crowd", "manager")


def main() -> int:
    """Every part, or those BENCH_ONLY names (comma-separated: lists, crowd, manager)."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: `apt-get install wrk` (make bench does it as root)")
    only = [p for p in os.environ.get("BENCH_ONLY", ",".join(PARTS)).split(",") if p]
    if unknown := set(only) - set(PARTS):
        raise SystemExit(f"BENCH_ONLY names no part {sorted(unknown)}: choose from {PARTS}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    started = time.monotonic()
    saved: dict = {"targets": TARGETS}
    met: dict[str, bool] = {}
    if "lists" in only:
        results = {size: measure(size) for size in SIZES}
        checks = verdicts(results)
        met.update({name: checks[name] <= TARGETS[name] for name in TARGETS})
        met["no_idle_poll"] = results[10_000]["polls_while_idle"] == 0
        saved.update(results=results, checks=checks)
        print(table(results))
    if "crowd" in only:
        crowded = crowds()
        saved["crowd"] = crowded
        if "with Redis" in crowded:
            shared = crowded["with Redis"]
            met["crowd_no_errors"] = shared["errors"] == 0
            met["crowd_one_fetch_per_window"] = shared["most_in_a_window"] <= 1
            met["crowd_p95_within_2x_cold"] = shared["p95"] <= 2 * shared["cold_one_person_ms"]
        print()
        print(crowd_table(crowded))
        if "with Redis" not in crowded:
            print("  (no Redis answered at BACKUPSUI_BENCH_REDIS_URL: measured without it only)")
    if "manager" in only:
        managed = manager()
        saved["manager"] = managed
        plan, run, up = managed["plan"], managed["run"], managed["run"]["upstream"]
        met["plan_decision_500_ms"] = plan["decide_ms"][len(plan["decide_ms"]) // 2] <= 500
        met["plan_run_calls"] = (
            up.get("list", 0) == 1
            and up.get("create", 0) == run["created"]
            and up.get("delete", 0) == run["deleted"]
            and set(up) <= {"list", "list page", "create", "delete"}
        )
        met["plans_vs_list"] = managed["plans_page"]["p50"] <= 2 * managed["list"]["p50"]
        met["report_90_days_1_s"] = managed["report"]["p50"] <= 1000
        met["server_page_vs_list"] = managed["story"]["p50"] <= 2 * managed["story_list"]["p50"]
        print()
        print(manager_table(managed))
    saved["met"] = met
    print(
        "\ntargets (at 10,000 backups; small_ at 1,000; large_ at 100,000): "
        + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in met.items())
    )
    print(f"bench took {time.monotonic() - started:.0f} s on {os.cpu_count()} cores")
    Path(ROOT / "bench-results.json").write_text(json.dumps(saved, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
