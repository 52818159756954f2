"""`make run`: a busy port is one clear line, and the passwords it prints are the ones that work."""

import io
import json
import os
import re
import socket
import subprocess
import sys

import pytest
import requests
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from backupsui.sandbox.management.commands import demo
from tests.conftest import ensure_roles


@pytest.fixture
def busy_port():
    """A loopback port someone else is listening on."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    out = io.StringIO()
    served = []

    def runserver(name, address, **options):
        # The panel would start here; the sandbox is up, so the spare token can be tried.
        spare = re.search(r"API token page: (sbx_\S+)", out.getvalue())[1]
        answer = requests.get(
            settings.BACKUPS_API_URL + "/backups/",
            headers={"Authorization": f"Bearer {spare}"},
            timeout=5,
        )
        served.append((name, address, answer.status_code))

    class Worker:
        """The background worker the demo starts beside the panel, and stops with it."""

        stopped = False

        def terminate(self):
            self.stopped = True

        def wait(self, timeout):
            return 0

    worker = Worker()
    monkeypatch.setattr(demo, "call_command", runserver)
    monkeypatch.setattr(demo, "start_worker", lambda: worker)
    call_command("demo", port=port, sandbox_port=sandbox_port, stdout=out)

    assert served == [("runserver", f"127.0.0.1:{port}", 200)]
    assert worker.stopped
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
    assert sandboxes[0].state.config.failure_rate == demo.FAILURE_RATE > 0
    with pytest.raises(requests.ConnectionError):  # Ctrl-C, here the end of runserver, stops both
        requests.get(settings.BACKUPS_API_URL + "/backups/", timeout=5)
