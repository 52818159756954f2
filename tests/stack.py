"""The panel as production runs it, for tests that need real processes: gunicorn replicas
on the test database, and a browser-like HTTP client that acts as the TLS proxy in front."""

import email
import email.policy
import fcntl
import os
import re
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import requests
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, seconds: float = 60, every: float = 0.05):
    """What `condition()` returns once it is true; fails when it is not within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(every)
    raise AssertionError("the condition did not hold in time")


def database_url() -> str:
    """The test database, as DATABASE_URL, for processes started by the test."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def production_env(api_url: str, **extra) -> dict:
    """Production settings (debug off, secure cookies), this test run's keys and database."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "BACKUPS", "GUNICORN_", "DATABASE_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="backupsui.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=os.environ["DJANGO_SECRET_KEY"],
        BACKUPSUI_TOKEN_KEYS=os.environ["BACKUPSUI_TOKEN_KEYS"],
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_LOG_LEVEL="WARNING",
        DATABASE_URL=database_url(),
        BACKUPS_API_URL=api_url,
        BACKUPSUI_MFA_REQUIRED="",  # the tests about second factors require them themselves
    )
    env.update(extra)
    return env


_collected = []


def collect_static(env: dict) -> None:
    """Production serves hashed static files from a manifest, as a release makes them
    (once per test run: with pytest-xdist, once for all its workers, under a lock so that
    no worker's gunicorn starts on a manifest another worker is still writing)."""
    if _collected:
        return
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", f"pid-{os.getpid()}")
    (ROOT / "var").mkdir(exist_ok=True)
    with (ROOT / "var" / "collectstatic.lock").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.seek(0)
        if lock.read() != run:
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                timeout=120,
            )
            lock.seek(0)
            lock.truncate()
            lock.write(run)
            lock.flush()
    _collected.append(True)


class Replica:
    """One gunicorn of the panel (gunicorn.conf.py: gthread, 2 workers by default); `cwd`: an
    earlier release's tree (whose static files the caller has collected)."""

    def __init__(self, env: dict, workers: int = 2, cwd: Path = ROOT):
        if cwd == ROOT:
            collect_static(env)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "backupsui.wsgi", "-c", "gunicorn.conf.py"],
            cwd=cwd,
            env={
                **env,
                "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                "GUNICORN_WORKERS": str(workers),
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self._stopping = False
        # Read as it comes: a full pipe would stop gunicorn mid-request.
        self._written: list[bytes] = []
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        self.wait_until_up()

    def _read_log(self) -> None:
        for line in self.process.stderr:
            self._written.append(line)

    @property
    def log(self) -> str:
        """What gunicorn and the panel wrote to standard error so far."""
        return b"".join(self._written).decode(errors="replace")

    def wait_until_up(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._reader.join(timeout=5)
                raise RuntimeError(f"gunicorn stopped: {self.log}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not answer on {self.url} within {seconds} s")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def begin_stop(self) -> None:
        """SIGTERM (gunicorn's graceful stop), without waiting for it."""
        if self.process.poll() is None and not self._stopping:
            os.killpg(self.process.pid, signal.SIGTERM)
            self._stopping = True

    def stop(self) -> None:
        self.begin_stop()
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._reader.join(timeout=5)
        self.process.stderr.close()


def stop_all(replicas) -> None:
    """Stops the replicas side by side (each gunicorn's graceful stop takes a second or
    two), not one after the other."""
    for replica in replicas:
        replica.begin_stop()
    for replica in replicas:
        replica.stop()


class Browser:
    """A person's browser behind the TLS proxy: the proxy's X-Forwarded-For and
    X-Forwarded-Proto on every request, and cookies kept by hand (they are Secure, and the
    proxy speaks plain HTTP to the panel on loopback)."""

    def __init__(self, client_address: str = "192.0.2.10", source: str = "127.0.0.1"):
        self.client_address = client_address
        self.cookies: dict[str, str] = {}
        self.http = requests.Session()
        self.http.trust_env = False
        adapter = requests.adapters.HTTPAdapter()
        adapter.init_poolmanager(10, 10, source_address=(source, 0))
        self.http.mount("http://", adapter)

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        headers = {
            "X-Forwarded-For": self.client_address,
            "X-Forwarded-Proto": "https",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **kwargs.pop("headers", {}),
        }
        origin = re.match(r"https?://[^/]+", url)[0].replace("http://", "https://")
        if method == "POST":
            headers.setdefault("Referer", origin + "/")
        answer = self.http.request(
            method, url, headers=headers, allow_redirects=False, timeout=30, **kwargs
        )
        for name, value in answer.cookies.items():
            self.cookies[name] = value
        return answer

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def form(self, url: str) -> dict:
        """The hidden fields of the first change form on a page: the CSRF token and the
        one-time key, as a browser would send them back."""
        page = self.get(url).text
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
        return {k: v for k, v in fields.items() if k in ("csrfmiddlewaretoken", "idempotency_key")}

    def post(self, url: str, data: dict) -> requests.Response:
        return self.request("POST", url, data=data)

    def sign_in(self, base: str, username: str, password: str) -> requests.Response:
        data = {**self.form(base + "/accounts/login/"), "username": username, "password": password}
        return self.post(base + "/accounts/login/", data)


class Workers:
    """Background workers (`manage.py worker`, every queue by default) and schedulers on the
    test database, quick to look."""

    def __init__(self, api_url: str, **extra):
        self.env = production_env(
            api_url, BACKUPSUI_JOB_LOOK_SECONDS="0.3", BACKUPS_API_TIMEOUT="5", **extra
        )
        self.running: list[subprocess.Popen] = []

    def _start(self, *command: str, log=subprocess.DEVNULL) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        self.running.append(process)
        return process

    def start(self, queue: str = "*", log=subprocess.DEVNULL) -> subprocess.Popen:
        return self._start(
            "worker",
            "--no-reload",
            "--interval",
            "0.1",
            "--no-startup-delay",
            "--queue-name",
            queue,
            log=log,
        )

    def scheduler(self, log=subprocess.DEVNULL) -> subprocess.Popen:
        return self._start("scheduler", "--interval", "0.1", log=log)

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self) -> None:
        for process in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.kill(process)


class MailSink(socketserver.ThreadingTCPServer):
    """An SMTP server on loopback that keeps every message it is given (for workers started
    with the production SMTP backend pointed at it): just enough of RFC 5321 for smtplib."""

    daemon_threads = True

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(handler):  # noqa: N805 - the handler's own self is the sink's
                handler.wfile.write(b"220 sink\r\n")
                while line := handler.rfile.readline():
                    verb = line[:4].upper()
                    if verb == b"QUIT":
                        handler.wfile.write(b"221 bye\r\n")
                        return
                    if verb != b"DATA":
                        handler.wfile.write(b"250 ok\r\n")
                        continue
                    handler.wfile.write(b"354 go on\r\n")
                    lines = []
                    while (part := handler.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(part[1:] if part.startswith(b"..") else part)
                    message = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
                    sink.messages.append(message)
                    handler.wfile.write(b"250 kept\r\n")

        super().__init__(("127.0.0.1", 0), Handler)
        self.port = self.server_address[1]
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def env(self) -> dict:
        """The settings that send a process's email here."""
        return {
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "DJANGO_EMAIL_HOST": "127.0.0.1",
            "DJANGO_EMAIL_PORT": str(self.port),
        }
