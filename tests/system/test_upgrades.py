"""Upgrades from each earlier release, both ways: a database made and filled by that release's
own code (its tree taken from git), migrated to now by the current code, checked, then every
app migrated back one step and forward again; and a rollback to the previous release (its
migrations as docs/deploy.md names them) that keeps every audit row as the newer release
recorded it, which that release's own code then reads and writes. On SQLite always; on
PostgreSQL when the test run is on PostgreSQL (a database of its own per case, named after
the run's test database)."""

import json
import os
import uuid

import pytest
from django.db import connection

from tests.releases import (
    FILL,
    PREVIOUS,
    RELEASES,
    TOKENS,
    environment,
    postgres_database,
    release_leaves,
    release_tree,
    run,
)
from tests.stack import ROOT

pytestmark = pytest.mark.slow

# Run by the current code: migrate to now, tell what the database holds, then every app back
# one step and forward again, and tell again.
CHECK = r"""
import json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "backupsui.settings"
import django
django.setup()
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from backupsui.accounts.crypto import decrypt
from backupsui.accounts.models import ApiToken
from backupsui.audit.models import AuditEvent
from backupsui.jobs.models import Job


def held():
    return {
        "users": {
            user.username: sorted(user.groups.values_list("name", flat=True))
            for user in User.objects.all()
        },
        "tokens": {
            token.user.username: decrypt(token.ciphertext)
            for token in ApiToken.objects.select_related("user")
        },
        "events": sorted(
            [e.action, e.outcome, e.upstream_status, e.actor_username]
            for e in AuditEvent.objects.all()
        ),
        "jobs": sorted([j.user.username, j.state, j.safety_backup_id] for j in Job.objects.all()),
    }


def without_database_default():
    # Columns whose field has a database default that the database does not have.
    from django.db.models import NOT_PROVIDED

    missing = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if not model.__module__.startswith("backupsui.") or not model._meta.managed:
                continue
            table = model._meta.db_table
            found = connection.introspection.get_table_description(cursor, table)
            defaults = {column.name: column.default for column in found}
            for field in model._meta.concrete_fields:
                if field.db_default is not NOT_PROVIDED and defaults[field.column] is None:
                    missing.append(f"{table}.{field.column}")
    return missing


call_command("migrate", verbosity=0)
call_command("makemigrations", check=True, dry_run=True, verbosity=0)
report = {"now": held(), "steps": {}, "without_default": without_database_default()}
ours = [c.label for c in apps.get_app_configs() if c.name.startswith("backupsui.")]
for label in ours:
    graph = MigrationLoader(connection).graph
    leaves = graph.leaf_nodes(label)
    if not leaves:
        continue
    (leaf,) = leaves
    before = [parent[1] for parent in graph.node_map[leaf].parents if parent[0] == label]
    call_command("migrate", label, before[0] if before else "zero", verbosity=0)
    call_command("migrate", verbosity=0)
    report["steps"][label] = held()
print(json.dumps(report))
"""


ENGINES = ["sqlite"]
if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    ENGINES.append("postgresql")


@pytest.fixture(params=ENGINES)
def database(request, tmp_path, db):
    """An empty database of the kind asked for: its URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgraded.sqlite3'}"
        return
    name = f"{connection.settings_dict['NAME']}_upgrade_{uuid.uuid4().hex[:8]}"
    url, drop = postgres_database(name)
    yield url
    drop()


EXPECTED_EVENTS = sorted(
    [
        ["backup_requested", "accepted", 202, "olivia"],
        ["backup_deleted", "refused", 404, "olivia"],
        ["restore_requested", "failed", 503, "olivia"],
        ["sign_in_failed", "refused", None, "olivia"],
        ["token_set", "accepted", None, "olivia"],
    ]
)


@pytest.mark.parametrize("version", RELEASES)
def test_it_upgrades_a_filled_database_from_each_release_and_steps_back(
    version, database, tmp_path
):
    env = environment(database)
    old = release_tree(RELEASES[version], tmp_path / f"release-{version}")
    run(FILL, old, env, *(f"{name}={token}" for name, token in TOKENS.items()))

    report = json.loads(run(CHECK, ROOT, env))

    now = report["now"]
    assert report["without_default"] == []  # the previous release can write every table
    assert now["users"] == {"olivia": ["Operators"], "sam": ["Support"]}
    assert now["tokens"] == TOKENS
    assert now["events"] == EXPECTED_EVENTS
    assert now["jobs"] == ([] if version == "0.1.0" else [["sam", "waiting", 71]])
    assert {"accounts", "audit", "backups", "alerts", "jobs"} <= set(report["steps"])
    for label, after in report["steps"].items():
        assert after["users"] == now["users"], label
        assert after["tokens"] == TOKENS, label
        assert after["events"] == EXPECTED_EVENTS, label
        if label != "jobs":  # one step back from the jobs app's first migration is no jobs table
            assert after["jobs"] == now["jobs"], label


# Run by the current code: migrate to now, write what the newer release writes (actions and
# columns 0.2.0 does not know), tell every audit row, then migrate back to the previous release.
ROLL_BACK = r"""
import json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "backupsui.settings"
import django
django.setup()
from django.contrib.auth.models import User
from django.core.management import call_command
from backupsui.audit.models import AuditEvent

call_command("migrate", verbosity=0)
olivia = User.objects.get(username="olivia")
for action, outcome, status, plan in (
    ("restore_requested", "accepted", 202, None),
    ("restore_requested", "refused", 404, None),
    ("plan_changed", "accepted", None, (3, "Nightly")),
    ("backup_requested", "unknown", 502, (3, "Nightly")),
    ("second_factor_added", "accepted", None, None),
):
    AuditEvent.objects.create(
        actor=olivia, actor_username="olivia", action=action, outcome=outcome,
        upstream_status=status, server_id=7, server_name="web-7", backup_id=71,
        backup_type="manual", backup_status="completed", first_outcome="pending",
        settled_by="the list", plan_id=plan[0] if plan else None,
        plan_name=plan[1] if plan else "",
    )
rows = list(AuditEvent.objects.order_by("pk").values())
for target in sys.argv[1:]:
    app, migration = target.split("=")
    call_command("migrate", app, migration, verbosity=0)
print(json.dumps(rows, default=str))
"""

# Run by the previous release's code on the rolled-back database: its audit page filtered by
# restores, its CSV export of everything, every row as it reads them, and one event it writes.
OLD_READS = r"""
import csv, io, json, os, sys
sys.path.insert(0, os.getcwd())
os.environ["DJANGO_SETTINGS_MODULE"] = "backupsui.settings"
import django
django.setup()
import backupsui
assert backupsui.__file__.startswith(os.getcwd()), backupsui.__file__
from django.contrib.auth.models import User
from django.test import Client
from django.test.utils import override_settings
from backupsui.audit.models import AuditEvent

rows = list(AuditEvent.objects.order_by("pk").values())
auditor = User.objects.create_superuser("ada", password="correct horse battery staple")
client = Client()
client.force_login(auditor)
plain = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES={**django.conf.settings.STORAGES, **plain}):
    page = client.get("/audit/?action=restore_requested")
export = client.get("/audit/export.csv?signins=on")
exported = b"".join(export.streaming_content).decode()
AuditEvent.objects.create(
    actor=auditor, actor_username="ada", action="token_set", outcome="accepted"
)
print(json.dumps({
    "page": page.status_code,
    "restores_shown": page.content.decode().count('data-label="Action">Restore requested<'),
    "export": export.status_code,
    "exported": [line["action"] for line in csv.DictReader(io.StringIO(exported))],
    "rows": rows,
}, default=str))
"""

# Run by the current code again: forward to now, and every audit row.
FORWARD = r"""
import json, os
os.environ["DJANGO_SETTINGS_MODULE"] = "backupsui.settings"
import django
django.setup()
from django.core.management import call_command
from backupsui.audit.models import AuditEvent

call_command("migrate", verbosity=0)
call_command("makemigrations", check=True, dry_run=True, verbosity=0)
print(json.dumps(list(AuditEvent.objects.order_by("pk").values()), default=str))
"""


def last_line(output: str):
    return json.loads(output.strip().splitlines()[-1])


def test_it_rolls_back_to_the_previous_release_and_forward_keeping_every_audit_row(
    database, tmp_path
):
    env = {**environment(database), "DJANGO_ALLOWED_HOSTS": "testserver"}
    env["DJANGO_SECURE_SSL_REDIRECT"] = "0"
    old = release_tree(RELEASES[PREVIOUS], tmp_path / f"release-{PREVIOUS}")
    run(FILL, old, env, *(f"{name}={token}" for name, token in TOKENS.items()))
    targets = release_leaves(RELEASES[PREVIOUS])

    before = last_line(run(ROLL_BACK, ROOT, env, *(f"{a}={m}" for a, m in targets.items())))
    read = last_line(run(OLD_READS, old, env))  # (audit events are logged on standard output)
    after = last_line(run(FORWARD, ROOT, env))

    # The previous release finds the newer release's restores with its own filter, and reads
    # and exports every row (actions it has no name for are shown as they are written).
    assert read["page"] == 200 and read["restores_shown"] == 3
    assert read["export"] == 200
    assert read["exported"] == ["sign_in"] + [row["action"] for row in reversed(before)]
    # Every row is as the newer release recorded it: in the previous release's columns while
    # rolled back, and in every column once forward again.
    assert [{k: row[k] for k in read["rows"][0]} for row in before] == read["rows"]
    assert after[: len(before)] == before
    assert {row["action"] for row in before} >= {"plan_changed", "second_factor_added"}
    # The rows the previous release wrote meanwhile (its sign-in, a token) have the newer
    # columns' defaults.
    written = [(row["action"], row["plan_name"], row["plan_id"]) for row in after[len(before) :]]
    assert written == [("sign_in", "", None), ("token_set", "", None)]


def test_it_names_the_previous_releases_migrations_in_the_rollback_procedure():
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for app, migration in release_leaves(RELEASES[PREVIOUS]).items():
        assert f"python manage.py migrate {app} {migration[:4]}" in text, app
