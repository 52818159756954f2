"""The panel's processes on a database that lacks this release's migrations: gunicorn, the
worker and the scheduler stop at once, each with one line that says to run migrate first
(gunicorn with the status of a worker that cannot boot, so it does not try again and again);
`migrate` itself runs, and then they start."""

import subprocess
import sys

from tests.stack import ROOT, Replica, collect_static, free_port, production_env

SAID = "run `python manage.py migrate` first."


def run(command: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=90
    )


def test_it_stops_at_once_on_a_database_without_this_releases_migrations(tmp_path):
    env = production_env(
        "http://127.0.0.1:9/api/v1", DATABASE_URL=f"sqlite:///{tmp_path / 'new.sqlite3'}"
    )
    collect_static(env)
    web = run(
        ["-m", "gunicorn", "backupsui.wsgi", "-c", "gunicorn.conf.py"],
        {**env, "GUNICORN_BIND": f"127.0.0.1:{free_port()}", "GUNICORN_WORKERS": "1"},
    )
    assert web.returncode == 3, web.stderr[-2000:]
    assert web.stderr.count(SAID) == 1 and "Traceback" not in web.stderr
    assert "Worker failed to boot" in web.stderr
    for command in (
        ["manage.py", "worker", "--no-reload", "--interval", "0.1"],
        ["manage.py", "scheduler", "--interval", "0.1"],
    ):
        done = run(command, env)
        assert done.returncode == 1, command
        assert done.stderr.count(SAID) == 1 and "Traceback" not in done.stderr, done.stderr

    assert run(["manage.py", "migrate", "--noinput", "-v0"], env).returncode == 0
    replica = Replica(env, workers=1)
    replica.stop()
    assert SAID not in replica.log
