"""`make run`: a busy port is one clear line, and the passwords it prints are the ones that work."""

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from backupsui.sandbox.management.commands import demo
from tests.conftest import ensure_roles
from tests.stack import free_port


@pytest.fixture
def busy_port():
    """A loopback port someone else is listening on."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def run_demo(port: int, sandbox_port: int) -> subprocess.CompletedProcess:
    """`manage.py demo` as `make run` starts it, in a process of its own."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="backupsui.settings",
        DJANGO_DEBUG="1",
        BACKUPS_API_URL=f"http://127.0.0.1:{sandbox_port}/api/v1",
    )
    command = ["manage.py", "demo", "--port", str(port), "--sandbox-port", str(sandbox_port)]
    return subprocess.run(
        [sys.executable, *command],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("busy", "what", "variable"),
    [("port", "the panel", "PORT"), ("sandbox_port", "the sandbox API", "SANDBOX_PORT")],
)
def test_it_names_a_busy_port_and_how_to_pick_another_in_one_line(busy_port, busy, what, variable):
    ports = {"port": free_port(), "sandbox_port": free_port(), busy: busy_port}
    finished = run_demo(ports["port"], ports["sandbox_port"])
    assert finished.returncode != 0
    assert finished.stdout == ""
    lines = finished.stderr.splitlines()
    assert len(lines) == 1, finished.stderr
    match = re.fullmatch(
        rf"CommandError: Port {busy_port} is in use \({what}\)\. "
        rf"Pick another: make run {variable}=(\d+)",
        lines[0],
    )
    assert match and int(match[1]) != busy_port


def test_it_starts_nothing_when_the_panels_port_is_busy(
    busy_port, db, settings, monkeypatch, tmp_path
):
    settings.DEBUG = True
    sandbox_port = free_port()
    settings.BACKUPS_API_URL = f"http://127.0.0.1:{sandbox_port}/api/v1"
    started = []
    monkeypatch.setattr(demo, "SandboxServer", lambda *a, **k: started.append("sandbox"))
    monkeypatch.setattr(demo, "call_command", lambda *a, **k: started.append("panel"))
    monkeypatch.setattr(demo, "CREDENTIALS", tmp_path / "var" / "demo-credentials.json")
    with pytest.raises(CommandError, match=f"Port {busy_port} is in use"):
        call_command("demo", port=busy_port, sandbox_port=sandbox_port)
    assert started == []
    assert not get_user_model().objects.exists()
    assert not (tmp_path / "var").exists()


def test_it_prints_only_passwords_that_work_and_a_spare_token_the_sandbox_accepts(
    db, settings, monkeypatch, tmp_path, django_user_model
):
    ensure_roles()
    settings.DEBUG = True
    settings.BASE_DIR = tmp_path
    credentials = tmp_path / "var" / "demo-credentials.json"
    monkeypatch.setattr(demo, "CREDENTIALS", credentials)
    # A file from an earlier database: operator's password there is no longer the real one.
    django_user_model.objects.create_user("operator", password="changed since")
    django_user_model.objects.create_user("support", password="still right")
    credentials.parent.mkdir()
    credentials.write_text(json.dumps({"operator": "stale", "support": "still right"}))

    port, sandbox_port = free_port(), free_port()
    settings.BACKUPS_API_URL = f"http://127.0.0.1:{sandbox_port}/api/v1"
    sandboxes = []
    real_sandbox = demo.SandboxServer

    def sandbox_server(*args, **kwargs):
        sandboxes.append(real_sandbox(*args, **kwargs))
        return sandboxes[-1]

    monkeypatch.setattr(demo, "SandboxServer", sandbox_server)

    class Out(io.StringIO):
        """What the demo prints, and a wait for its welcome."""

        said = threading.Event()

        def write(self, text):
            written = super().write(text)
            if "API token page:" in self.getvalue():
                self.said.set()
            return written

    out = Out()
    served = []

    def runserver(name, address, **options):
        # Nothing said yet: the welcome comes once the panel answers, after its start-up.
        assert "password:" not in out.getvalue()
        with socket.socket() as panel:
            panel.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            panel.bind(("127.0.0.1", port))
            panel.listen()
            assert out.said.wait(30)
        # The sandbox is up, so the spare token can be tried.
        spare = re.search(r"API token page: (sbx_\S+)", out.getvalue())[1]
        answer = requests.get(
            settings.BACKUPS_API_URL + "/backups/",
            headers={"Authorization": f"Bearer {spare}"},
            timeout=5,
        )
        served.append((name, address, answer.status_code))

    class Background:
        """The worker per queue and the scheduler the demo starts beside the panel, and stops
        with it."""

        stopped = False

        def poll(self):
            return None if not self.stopped else 0

        def terminate(self):
            self.stopped = True

        def wait(self, timeout):
            return 0

    background = [Background(), Background()]
    monkeypatch.setattr(demo, "call_command", runserver)
    monkeypatch.setattr(demo, "start_background", lambda: background)
    call_command("demo", port=port, sandbox_port=sandbox_port, stdout=out)

    assert served == [("runserver", f"127.0.0.1:{port}", 200)]
    assert all(process.stopped for process in background)
    saved = json.loads(credentials.read_text())
    assert saved["support"] == "still right" and saved["operator"] != "stale"
    assert credentials.stat().st_mode & 0o777 == 0o600
    kept = credentials.with_name("demo-spare-token")
    assert sorted(p.name for p in credentials.parent.iterdir()) == [credentials.name, kept.name]
    assert kept.stat().st_mode & 0o777 == 0o600
    spare = re.search(r"API token page: (sbx_\S+)", out.getvalue())[1]
    assert kept.read_text().strip() == spare == demo._spare_token()  # the same on the next run
    assert "of the same account" in out.getvalue()
    for username, password in saved.items():
        assert django_user_model.objects.get(username=username).check_password(password)
        # On lines of their own, to copy with a triple click.
        said = rf"\n    username: {username}\n    password: {re.escape(password)}\n"
        assert re.search(said, out.getvalue())
    assert "stale" not in out.getvalue()
    # Framed, apart from the log lines around it.
    framed = re.search(r"\n={76}\n(.*)\n={76}\n", out.getvalue(), flags=re.S)
    assert framed and "username: operator" in framed[1] and "Ctrl-C stops them all" in framed[1]
    assert sandboxes[0].state.config.failure_rate == demo.FAILURE_RATE > 0
    with pytest.raises(requests.ConnectionError):  # Ctrl-C, here the end of runserver, stops both
        requests.get(settings.BACKUPS_API_URL + "/backups/", timeout=5)


def descendants(pid: int) -> set[int]:
    """Every process started by `pid`, and by those, as /proc lists them."""
    found = set()
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        children = {int(c) for t in tasks for c in (t / "children").read_text().split()}
    except FileNotFoundError:
        return found
    for child in children:
        found |= {child} | descendants(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_it_stops_every_process_it_started_on_sigterm(tmp_path):
    """`make run` stopped by SIGTERM (a `kill`, a supervisor, a closed terminal's session):
    the panel, the sandbox, both workers and the scheduler all stop."""
    port, sandbox_port = free_port(), free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="backupsui.settings",
        DJANGO_DEBUG="1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        BACKUPS_API_URL=f"http://127.0.0.1:{sandbox_port}/api/v1",
    )
    root = django_settings.BASE_DIR
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    # `manage.py demo`, with its passwords kept in a file of this test's own.
    start = (
        "import sys, pathlib, django; django.setup();"
        "from backupsui.sandbox.management.commands import demo;"
        "demo.CREDENTIALS = pathlib.Path(sys.argv[1]);"
        "from django.core.management import execute_from_command_line as run;"
        "run(['manage.py', 'demo', '--port', sys.argv[2], '--sandbox-port', sys.argv[3]])"
    )
    credentials = root / "var" / f"test-demo-credentials-{os.getpid()}.json"
    demo_process = subprocess.Popen(
        [sys.executable, "-c", start, str(credentials), str(port), str(sandbox_port)],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "demo.log").open("w"),
        start_new_session=True,
    )
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            started = descendants(demo_process.pid)
            try:
                up = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).ok
            except requests.RequestException:
                up = False
            if up and len(started) >= len(demo.BACKGROUND):
                break
            assert demo_process.poll() is None, (tmp_path / "demo.log").read_text()
            time.sleep(0.1)
        assert len(started) == len(demo.BACKGROUND) and all(map(alive, started))
        demo_process.send_signal(signal.SIGTERM)
        assert demo_process.wait(timeout=45) == 0
        assert [pid for pid in started if alive(pid)] == []
        for listening in (port, sandbox_port):
            with pytest.raises(requests.ConnectionError):
                requests.get(f"http://127.0.0.1:{listening}/", timeout=1)
    finally:
        os.killpg(demo_process.pid, signal.SIGKILL) if demo_process.poll() is None else None
        for pid in started:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        credentials.unlink(missing_ok=True)
