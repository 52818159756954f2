"""The release procedure, end to end, with real processes on one database (SQLite in the
first pass, PostgreSQL in the second) against the sandbox: the previous release (its own
code, from git) serves and works; the new release's `migrate` runs while it does; the
previous release's replica then still signs in, lists, creates, deletes, restores and
writes audit events with no error; the workers roll (a restore job the previous release
started carries on at the new worker's next look, and its periodic task is settled with one
line); then a replica of the new release serves beside the old one, which stops last.
Meanwhile the previous release is asked for backups all through `migrate`: no request meets a
column added without its default."""

import re
import signal
import sqlite3
import subprocess
import sys
import threading
from contextlib import suppress
from pathlib import Path

import psycopg
import pytest

from tests.conftest import start_sandbox
from tests.releases import (
    FILL,
    PREVIOUS,
    RELEASES,
    TOKENS,
    environment,
    release_tree,
    run,
    scratch_database,
)
from tests.stack import ROOT, Browser, Replica, wait_for

PASSWORD = "correct horse battery staple"  # FILL's


def query(url: str, sql: str) -> list[tuple]:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return db.execute(sql).fetchall()
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as db:
        return db.execute(sql).fetchall()


def hidden_fields(page: str) -> dict:
    """Every hidden field of a page's forms (the CSRF token; 0.2.0's one-time key is `once`,
    the new release's `idempotency_key`)."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))


class Worker:
    """A background worker of either release, its lines kept in a file."""

    def __init__(self, command: list[str], cwd: Path, env: dict, log: Path):
        self.log_path = log
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=cwd,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def works(base: str, person: Browser, sandbox, server_id: int) -> None:
    """What a person does on a replica: each answer as it should be, none an error."""
    listed = person.get(base + "/backups/")
    assert listed.status_code == 200, listed.text[-2000:]
    assert "web-server-01" in listed.text

    form = hidden_fields(person.get(base + "/backups/new/").text)
    made = person.post(
        base + "/backups/new/", {**form, "server_id": server_id, "description": "rolling"}
    )
    assert made.status_code == 302, made.text[-2000:]

    gone = next(
        b.id
        for b in sandbox.state.backups.values()
        if b.server.id == server_id and b.backup_type == "automatic"
    )
    form = hidden_fields(person.get(f"{base}/backups/{gone}/delete/").text)
    deleted = person.post(f"{base}/backups/{gone}/delete/", form)
    assert deleted.status_code == 302, deleted.text[-2000:]
    assert gone not in sandbox.state.backups

    source = next(
        b.id
        for b in sandbox.state.backups.values()
        if b.server.id == server_id and b.backup_type == "automatic"
    )
    confirm = person.get(f"{base}/servers/{server_id}/restore/?backup_id={source}")
    assert confirm.status_code == 200, confirm.text[-2000:]
    name = sandbox.state.servers[server_id].name
    restored = person.post(
        f"{base}/servers/{server_id}/restore/",
        {**hidden_fields(confirm.text), "backup_id": source, "confirm": name},
    )
    assert restored.status_code == 302, restored.text[-2000:]
    assert person.get(base + "/audit/").status_code == 200


def signed_in(base: str) -> Browser:
    person = Browser()
    form = hidden_fields(person.get(base + "/accounts/login/").text)
    answer = person.post(
        base + "/accounts/login/", {**form, "username": "olivia", "password": PASSWORD}
    )
    assert answer.status_code == 302, answer.text[-2000:]
    return person


def no_error_in(*logs: str) -> None:
    """Nothing went wrong, in either release's words (0.2.0 wrote plain lines)."""
    for log in logs:
        for sign in ("Traceback", '"level": "ERROR"', " ERROR ", "[ERROR]", "CRITICAL"):
            assert sign not in log, log[-3000:]


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_previous_release_working_through_migrate_and_the_roll(tmp_path):
    sandbox = start_sandbox(
        accounts={token: "acme" for token in TOKENS.values()},
        servers=3,
        completion_delay=20,
        restore_delay=1,
    )
    url, drop = scratch_database(tmp_path)
    old_tree = release_tree(RELEASES[PREVIOUS], tmp_path / f"release-{PREVIOUS}")
    env = {
        **environment(url),
        "BACKUPS_API_URL": sandbox.url,
        "BACKUPSUI_TRUSTED_PROXIES": "127.0.0.1",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "BACKUPSUI_JOB_LOOK_SECONDS": "0.5",
        "BACKUPSUI_WATCH_MINUTES": "0.05",  # 0.2.0's periodic task comes round every 3 s
        "BACKUPSUI_MFA_REQUIRED": "",
    }
    run(FILL, old_tree, env, *(f"{name}={token}" for name, token in TOKENS.items()))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=old_tree,
        env=env,
        check=True,
        timeout=120,
    )
    started = []
    try:
        old = Replica(env, workers=1, cwd=old_tree)
        started.append(old)
        old_worker = Worker(["db_worker", "--interval", "0.2"], old_tree, env, tmp_path / "ow")
        started.append(old_worker)

        # The previous release at work: a restore with a safety backup first is under way.
        person = signed_in(old.url)
        backup = next(b.id for b in sandbox.state.backups.values() if b.server.id == 12346)
        confirm = person.get(f"{old.url}/servers/12346/restore/?backup_id={backup}")
        asked = person.post(
            f"{old.url}/servers/12346/restore/",
            {
                **hidden_fields(confirm.text),
                "backup_id": backup,
                "confirm": "db-server-02",
                "safety": "on",
            },
        )
        assert asked.status_code == 302 and "/jobs/" in asked.headers["Location"]
        newest_job = "SELECT id, state FROM jobs_job ORDER BY id DESC"
        wait_for(lambda: query(url, newest_job)[0][1] == "waiting")

        # The new release's migrations, while the previous release runs and is asked for
        # backups all along (each an audit event written between two migrations).
        migrating = threading.Event()
        answers = []

        def keep_asking():
            busy = signed_in(old.url)
            while not migrating.is_set():
                form = hidden_fields(busy.get(old.url + "/backups/new/").text)
                data = {**form, "server_id": 12345, "description": "while migrating"}
                answers.append(busy.post(old.url + "/backups/new/", data).status_code)

        asking = threading.Thread(target=keep_asking)
        asking.start()
        migrated = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        migrating.set()
        asking.join(timeout=60)
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        assert len(answers) >= 2 and set(answers) == {302}, answers
        events = query(url, "SELECT COUNT(*) FROM audit_auditevent")[0][0]

        # The previous release on the new schema: a new sign-in, and every kind of change.
        works(old.url, signed_in(old.url), sandbox, 12345)
        assert query(url, "SELECT COUNT(*) FROM audit_auditevent")[0][0] >= events + 4

        # The workers roll: the job the previous release started goes on with the new one.
        old_worker.stop()
        job = query(url, newest_job)[0]
        assert job[1] == "waiting"
        new_worker = Worker(
            ["worker", "--no-reload", "--interval", "0.2", "--queue-name", "default"],
            ROOT,
            env,
            tmp_path / "nw",
        )
        started.append(new_worker)
        wait_for(
            lambda: query(url, f"SELECT state FROM jobs_job WHERE id = {job[0]}")[0][0] == "done",
            seconds=90,
        )
        wait_for(lambda: "(backupsui.jobs.tasks.tick) skipped" in new_worker.log, seconds=30)

        # The web replicas roll: the new release serves beside the previous one.
        new = Replica(env, workers=1)
        started.append(new)
        works(new.url, signed_in(new.url), sandbox, 12347)
        works(old.url, signed_in(old.url), sandbox, 12345)
        restores = query(
            url, "SELECT COUNT(*) FROM audit_auditevent WHERE action = 'restore_requested'"
        )
        assert restores == [(5,)]  # 0.2.0's first, the job's, one per replica and stage
        pending = query(url, "SELECT COUNT(*) FROM audit_auditevent WHERE outcome = 'pending'")
        assert pending == [(0,)]
    finally:
        for process in reversed(started):
            with suppress(Exception):
                process.stop()
        sandbox.stop()
        drop()
    no_error_in(*(process.log for process in started))
