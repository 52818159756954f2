"""What a long-running process checks before it serves or works: the database is migrated
for this release (else: run migrate first) and, for the web process with debug off, the
static files' manifest is there (else: collectstatic without debug). Management commands
such as `migrate` and `collectstatic` check nothing: they are how one gets there. Once
started, such a process counts its calls to the Backups API in the database (/metrics)."""

import logging

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

import backupsui
from backupsui.upstream import ledger

logger = logging.getLogger("backupsui.startup")
SHOWN = 3  # migrations named in the message; the rest are counted


class NotReady(Exception):
    """Why this process must not start (a sentence for the log, naming what to run)."""


def unapplied_migrations() -> list[str]:
    """The migrations this release has that the database has not applied, in order."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def check_migrated() -> None:
    """Raises NotReady when the database lacks this release's migrations. A database that
    does not answer is not checked (the process rides the outage out as it always does)."""
    try:
        missing = unapplied_migrations()
    except DatabaseError as error:
        cause = (str(error).strip().splitlines() or [type(error).__name__])[0]
        logger.warning("the database's migrations could not be checked (%s)", cause)
        return
    if missing:
        named = ", ".join(missing[:SHOWN]) + (", …" if len(missing) > SHOWN else "")
        raise NotReady(
            f"The database lacks {len(missing)} migration(s) of backupsui "
            f"{backupsui.__version__} ({named}): run `python manage.py migrate` first."
        )


def check_static() -> None:
    """Raises NotReady when production would serve pages without the static files' manifest
    (every page would answer 500): `collectstatic` run with debug on writes none."""
    if settings.DEBUG or not isinstance(staticfiles_storage, ManifestFilesMixin):
        return
    manifest = staticfiles_storage.path(staticfiles_storage.manifest_name)
    try:
        with open(manifest, "rb"):
            return
    except OSError:
        pass
    raise NotReady(
        f"The static files' manifest ({manifest}) is missing: run `python manage.py "
        "collectstatic --noinput` with DJANGO_DEBUG off (with debug on it writes no "
        "manifest), then start again."
    )


def start_web() -> None:
    """The web process's checks (wsgi.py). A failed one is one log line and exit status 3,
    which gunicorn takes for a worker that cannot boot: it stops, rather than starting
    workers again and again."""
    try:
        check_static()
        check_migrated()
    except NotReady as why:
        logger.critical("%s", why)
        raise SystemExit(3) from None
    finally:
        connection.close()  # the serving threads open their own
    ledger.start()


def start_worker(lives: bool = True) -> None:
    """The worker's and the scheduler's check (raises NotReady), then, for one that lives
    (not a `--batch` run, which adds its counts when it ends), the counting."""
    check_migrated()
    if lives:
        ledger.start()
