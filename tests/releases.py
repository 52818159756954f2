"""The released versions as git holds them (CHANGELOG.md names each one's commit; a clone
carries no tags): each one's tree, for running its own code, and its migrations; a database
filled by a release's own code (FILL), scratch databases and the environment to run a
release's scripts in."""

import os
import re
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import psycopg
from cryptography.fernet import Fernet
from django.db import connection

from tests.stack import ROOT

RELEASES = {"0.1.0": "739d083", "0.2.0": "c126bd7"}
PREVIOUS = "0.2.0"  # the release before the one being made
KEY = Fernet.generate_key().decode()
TOKENS = {"olivia": "sbx_upgrade_operator_token_0001", "sam": "sbx_upgrade_support_token_0002"}

# Run by the old release's code, in its own tree: users, their tokens, audit events in that
# release's words, and a waiting job where the release has jobs.
FILL = r"""
import os, sys
sys.path.insert(0, os.getcwd())
os.environ["DJANGO_SETTINGS_MODULE"] = "backupsui.settings"
import django
django.setup()
import backupsui
assert backupsui.__file__.startswith(os.getcwd()), backupsui.__file__
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone

call_command("migrate", verbosity=0)
from backupsui.accounts.crypto import encrypt
from backupsui.accounts.models import ApiToken
from backupsui.audit.models import AuditEvent

tokens = dict(arg.split("=") for arg in sys.argv[1:])
users = {}
for name, role in (("olivia", "Operators"), ("sam", "Support")):
    users[name] = User.objects.create_user(name, password="correct horse battery staple")
    users[name].groups.add(Group.objects.get(name=role))
    token = tokens[name]
    ApiToken.objects.create(
        user=users[name], ciphertext=encrypt(token), last4=token[-4:], saved_at=timezone.now()
    )
old = not hasattr(AuditEvent, "backup_type")
for action, outcome, status in (
    ("backup_create" if old else "backup_requested", "succeeded" if old else "accepted", 202),
    ("backup_delete" if old else "backup_deleted", "failed" if old else "refused", 404),
    ("server_restore" if old else "restore_requested", "failed", 503),
    ("sign_in_failed", "failed" if old else "refused", None),
    ("token_set", "succeeded" if old else "accepted", None),
):
    AuditEvent.objects.create(
        actor=users["olivia"], actor_username="olivia", action=action, outcome=outcome,
        upstream_status=status, server_id=7, server_name="web-7", backup_id=70,
    )
from django.apps import apps
if apps.is_installed("backupsui.jobs"):
    from backupsui.jobs.models import Job
    Job.objects.create(
        user=users["sam"], server_id=7, server_name="web-7", backup_id=70, state="waiting",
        safety_backup_id=71,
    )
"""


def release_tree(commit: str, into: Path) -> Path:
    """The release's files, as `git archive` gives them, in `into`."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    into.mkdir()
    archive_path = into.with_suffix(".tar")
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(into, filter="data")
    return into


def release_migrations(commit: str) -> dict[str, list[str]]:
    """Each app's migrations in a release's tree, in order."""
    names = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", commit, "backupsui"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.split()
    found: dict[str, list[str]] = {}
    for name in names:
        match = re.fullmatch(r"backupsui/(\w+)/migrations/(\d{4}\w*)\.py", name)
        if match:
            found.setdefault(match[1], []).append(match[2])
    return {app: sorted(migrations) for app, migrations in sorted(found.items())}


def release_leaves(commit: str) -> dict[str, str]:
    """Each app's newest migration in a release (the state to migrate back to)."""
    return {app: migrations[-1] for app, migrations in release_migrations(commit).items()}


def postgres_database(name: str):
    """A fresh PostgreSQL database beside the test database; its URL, and a way to drop it."""
    db = connection.settings_dict
    server = {
        "host": db["HOST"],
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
    }

    def admin(sql: str) -> None:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
            conn.execute(sql)

    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{name}"')
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    url = f"postgres://{db['USER']}{password}@{server['host']}:{server['port']}/{name}"
    return url, lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def scratch_database(tmp_path: Path):
    """An empty database of the test run's kind (a SQLite file, or a PostgreSQL database
    beside the test database): its URL, and a way to drop it."""
    if connection.vendor != "postgresql":
        return f"sqlite:///{tmp_path / 'scratch.sqlite3'}", lambda: None
    return postgres_database(f"{connection.settings_dict['NAME']}_scratch_{uuid.uuid4().hex[:8]}")


def environment(database_url: str) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "BACKUPS", "DATABASE_URL", "PYTHONPATH"))
    }
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="upgrade-test-" + uuid.uuid4().hex,
        BACKUPSUI_TOKEN_KEYS=KEY,
        DJANGO_LOG_LEVEL="WARNING",
        DATABASE_URL=database_url,
    )
    return env


def run(script: str, cwd: Path, env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout
