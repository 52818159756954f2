"""Expand, then contract: every column added since a release has a database default or may be
null (that release's code inserts rows without it while the replicas roll), and every
expanding operation since the previous release is kept when migrating back (Expand)."""

from django.db import migrations
from django.db.migrations.loader import MigrationLoader
from django.db.models import NOT_PROVIDED

from backupsui.expand import Expand
from tests.releases import PREVIOUS, RELEASES, release_migrations

OURS = {"accounts", "alerts", "audit", "backups", "jobs", "plans", "sandbox", "upstream"}
EXPANDING = (
    migrations.AddField,
    migrations.CreateModel,
    migrations.AddConstraint,
    migrations.AddIndex,
)


def state_at(loader: MigrationLoader, commit: str):
    """The models as a release's migrations left them (other apps' as they are now)."""
    ours = [(app, names[-1]) for app, names in release_migrations(commit).items() if app in OURS]
    theirs = [node for node in loader.graph.leaf_nodes() if node[0] not in OURS]
    return loader.graph.make_state(nodes=ours + theirs, at_end=True)


def test_it_gives_every_column_added_since_each_release_a_database_default_or_null():
    loader = MigrationLoader(None)
    now = loader.project_state()
    unsafe = []
    for version, commit in RELEASES.items():
        then = state_at(loader, commit)
        for key, model in now.models.items():
            if key[0] not in OURS or key not in then.models:
                continue
            for name, field in model.fields.items():
                if name in then.models[key].fields or field.many_to_many:
                    continue
                if not field.null and field.db_default is NOT_PROVIDED:
                    unsafe.append(f"{key[0]}.{key[1]}.{name} (since {version})")
    assert unsafe == []


def test_it_adds_each_column_with_its_database_default_in_one_step():
    """A column added NOT NULL and given its default by a later migration would refuse the
    previous release's inserts between the two (each migration commits on its own)."""
    loader = MigrationLoader(None)
    first = release_migrations(RELEASES["0.1.0"])
    late = []
    for (app, name), migration in loader.disk_migrations.items():
        if app not in OURS or name in first.get(app, []):
            continue
        for operation in migration.operations:
            added = getattr(operation, "operation", operation)
            if isinstance(added, migrations.AddField):
                field = added.field
                if not field.null and not field.many_to_many and field.db_default is NOT_PROVIDED:
                    late.append(f"{app}.{name}: {added.describe()}")
    assert late == []


def test_it_keeps_what_each_migration_since_the_previous_release_adds_when_migrating_back():
    loader = MigrationLoader(None)
    released = release_migrations(RELEASES[PREVIOUS])
    bare = []
    for (app, name), migration in loader.disk_migrations.items():
        if app not in OURS or name in released.get(app, []):
            continue
        for operation in migration.operations:
            if isinstance(operation, EXPANDING) and not isinstance(operation, Expand):
                bare.append(f"{app}.{name}: {operation.describe()}")
            if isinstance(operation, migrations.RunPython):
                assert operation.reversible, f"{app}.{name} cannot be migrated back"
    assert bare == []
