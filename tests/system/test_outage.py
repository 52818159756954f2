"""Workers and the scheduler outlast the database: PostgreSQL refuses every connection to the
test database for 20 s (as a restart or a failover does), the processes wait and try again,
and a restore job that was waiting then finishes with one create and one restore, in the same
worker process. PostgreSQL only (SQLite cannot refuse connections): `.ci/run` runs the suite
on both, so this runs in CI's PostgreSQL pass."""

import time
from datetime import UTC, datetime

import psycopg
import psycopg.sql
import pytest
from django.conf import settings as django_settings
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from backupsui.jobs.models import Job
from tests.stack import (
    Workers,
    wait_for,  # noqa: F401
)
from tests.system.test_jobs import job_in, olivia, restore_with_safety, world  # noqa: F401

OUTAGE_SECONDS = 20
ON_POSTGRESQL = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


class Refusal:
    """The test database refusing connections, from a connection to the `postgres` one."""

    def __init__(self):
        db = connection.settings_dict
        self.name = db["NAME"]
        self.admin = psycopg.connect(
            host=db["HOST"],
            port=db["PORT"] or 5432,
            user=db["USER"],
            password=db.get("PASSWORD") or None,
            dbname="postgres",
            autocommit=True,
        )

    def begin(self) -> None:
        connections.close_all()  # this test's own connection is cut too
        quoted = psycopg.sql.Identifier(self.name)
        self.admin.execute(
            psycopg.sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(quoted)
        )
        self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [self.name],
        )

    def end(self) -> None:
        quoted = psycopg.sql.Identifier(self.name)
        self.admin.execute(
            psycopg.sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(quoted)
        )

    def refused(self) -> bool:
        try:
            connections["default"].ensure_connection()
        except Exception:  # noqa: BLE001 - any refusal will do
            connections.close_all()
            return True
        return False


if ON_POSTGRESQL:

    @pytest.mark.django_db(transaction=True)
    def test_it_finishes_a_waiting_job_after_the_database_refused_connections(
        olivia, world, settings, tmp_path
    ):
        world.state.config.completion_delay = 600
        processes = Workers(world.url, BACKUPSUI_WATCH_MINUTES="0.05")
        refusal = Refusal()
        log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
        try:
            worker = processes.start(log=log)
            scheduler = processes.scheduler(log=log)
            job = restore_with_safety(olivia, world)
            wait_for(lambda: job_in(job, Job.State.WAITING))
            safety = world.state.backups[job.safety_backup_id]
            try:
                refusal.begin()
                assert refusal.refused()
                began = time.monotonic()
                # The safety backup completes meanwhile; a worker started now waits too.
                safety.completes_at = datetime.now(UTC)
                latecomer = processes.start(log=log)
                while time.monotonic() - began < OUTAGE_SECONDS:
                    assert None is worker.poll() is scheduler.poll() is latecomer.poll()
                    time.sleep(0.5)  # the outage lasts this long whatever happens
            finally:
                refusal.end()
            wait_for(lambda: job_in(job, Job.State.DONE, Job.State.FAILED), seconds=90)
            # A round is queued and run after the outage.
            after = datetime.now(UTC)
            rounds = DBTaskResult.objects.filter(
                task_path__endswith=".housekeeping", status="SUCCESSFUL", finished_at__gt=after
            )
            wait_for(rounds.exists)
            # Each of the three says so once it reaches the database again (the latecomer
            # may be in a wait of up to 15 s), and none of them exited meanwhile.
            said = tmp_path / "worker.log"
            wait_for(lambda: said.read_text().count("the database answers again") == 3, 30)
            assert None is worker.poll() is scheduler.poll() is latecomer.poll()
        finally:
            processes.stop()
            log.close()
            refusal.admin.close()
        lines = (tmp_path / "worker.log").read_text()
        assert job.state == Job.State.DONE, job.detail_text
        assert len(world.calls.creates) == 1 and len(world.calls.restores) == 1
        # Each process: one line per attempt (1, 2, 4, 8, 15 s apart), and one when it is back.
        tries = lines.count("the database is")
        assert lines.count("the database answers again") == 3 <= tries <= 3 * 8, lines
        assert "Traceback" not in lines, lines
