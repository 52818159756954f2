"""A restore with a safety backup first, carried out by real background workers
(`manage.py db_worker` processes on the test database) against the sandbox: one create, then,
only once it completed, one restore; never a restore after a failed safety backup or a
Cancel; the same with a worker killed while it waits, and with two workers at once."""

import contextlib
import socket
import threading
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django_tasks_db.models import DBTaskResult

from backupsui.alerts.models import Subscription
from backupsui.alerts.tasks import send_test_alert
from backupsui.audit.models import AuditEvent
from backupsui.jobs import runner
from backupsui.jobs.models import Job
from backupsui.jobs.tasks import housekeeping
from tests.conftest import OPERATOR_TOKEN, make_user, start_sandbox
from tests.helpers import FormClient, completed_backup, text
from tests.stack import Workers, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
State = Job.State
FINISHED = ("SUCCESSFUL", "FAILED")


class Calls:
    """What reached the sandbox, and when: the creates and the restores."""

    def __init__(self, state):
        self.creates, self.restores = [], []
        self.lock = threading.Lock()
        create, restore = state.create_backup, state.restore_server

        self.hold_creates = threading.Event()
        self.hold_creates.set()
        self.create_arrived = threading.Event()

        def counted_create(account, server_id, description):
            self.create_arrived.set()
            self.hold_creates.wait(30)  # a test may hold the answer back
            answer = create(account, server_id, description)
            with self.lock:
                self.creates.append((datetime.now(UTC), answer))
            return answer

        def counted_restore(account, server_id, backup_id):
            with self.lock:
                self.restores.append((datetime.now(UTC), server_id, backup_id))
            return restore(account, server_id, backup_id)

        state.create_backup, state.restore_server = counted_create, counted_restore


@pytest.fixture
def world(settings):
    server = start_sandbox(servers=3, completion_delay=2.0, restore_delay=600)
    settings.BACKUPS_API_URL = server.url
    server.calls = Calls(server.state)
    yield server
    server.stop()


@pytest.fixture
def olivia(world, django_user_model):
    person = make_user(django_user_model, "olivia", "Operators", OPERATOR_TOKEN)
    client = FormClient()
    client.force_login(person)
    return client


@pytest.fixture
def workers(world):
    started = Workers(world.url)
    yield started
    started.stop()


def restore_with_safety(client, world) -> Job:
    backup = completed_backup(world)
    response = client.post(
        "/servers/12345/restore/",
        {"backup_id": backup.id, "confirm": "web-server-01", "safety": "on"},
    )
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    return job


def job_in(job: Job, *states) -> Job | None:
    job.refresh_from_db()
    return job if job.state in states else None


def test_it_restores_only_after_the_safety_backup_completed(olivia, world, workers):
    workers.start()
    job = restore_with_safety(olivia, world)
    wait_for(lambda: job_in(job, State.DONE, State.FAILED))
    assert job.state == State.DONE, job.detail
    [(asked_at, created)] = world.calls.creates
    [(restored_at, server_id, backup_id)] = world.calls.restores
    assert created["description"] == (
        f"Safety backup before restoring from backup {job.backup_id} (requested by olivia)"
    )
    safety = world.state.backups[created["id"]]
    assert restored_at >= safety.completes_at  # only once it completed
    assert (server_id, backup_id) == (12345, job.backup_id)
    assert job.safety_backup_id == created["id"]
    steps = AuditEvent.objects.filter(job_id=job.pk).order_by("id")
    assert [e.action for e in steps] == [
        "safe_restore_requested",
        "backup_requested",
        "restore_requested",
    ]
    assert {e.actor_username for e in steps} == {"olivia"}
    page = text(olivia.get(f"/jobs/{job.pk}/"))
    assert "Restore sent" in page and "data-poll" not in page  # the page stops polling
    assert f"?event={job.restore_event_id}" in page


def test_it_never_restores_after_a_failed_safety_backup(olivia, world, workers):
    world.state.config.completion_delay = 600
    workers.start()
    job = restore_with_safety(olivia, world)
    wait_for(lambda: job_in(job, State.WAITING))
    world.state.fail_backup(job.safety_backup_id)
    wait_for(lambda: job_in(job, State.FAILED))
    assert world.calls.restores == []
    page = text(olivia.get(f"/jobs/{job.pk}/"))
    assert "The safety backup failed, so the restore was not sent." in page


def test_it_finishes_once_when_the_worker_is_killed_while_waiting(olivia, world, workers):
    world.state.config.completion_delay = 3
    first = workers.start()
    job = restore_with_safety(olivia, world)
    wait_for(lambda: job_in(job, State.WAITING))
    workers.kill(first)
    assert world.calls.restores == []
    workers.start()
    wait_for(lambda: job_in(job, State.DONE, State.FAILED))
    assert job.state == State.DONE, job.detail
    assert len(world.calls.creates) == 1 and len(world.calls.restores) == 1


def test_it_does_each_step_once_with_two_workers(olivia, world, workers):
    workers.start()
    workers.start()
    job = restore_with_safety(olivia, world)
    wait_for(lambda: job_in(job, State.DONE, State.FAILED))
    assert job.state == State.DONE, job.detail
    assert len(world.calls.creates) == 1 and len(world.calls.restores) == 1


def test_it_sends_no_restore_after_a_cancel(olivia, world, workers):
    world.state.config.completion_delay = 2
    workers.start()
    job = restore_with_safety(olivia, world)
    wait_for(lambda: job_in(job, State.WAITING))
    response = olivia.post(f"/jobs/{job.pk}/cancel/")
    assert response.status_code == 302
    safety = world.state.backups[job.safety_backup_id]
    wait_for(lambda: datetime.now(UTC) > safety.completes_at)
    # The job's last look was queued before the Cancel: wait until a worker has run it.
    looks = DBTaskResult.objects.filter(task_path__endswith="advance_job")
    wait_for(lambda: not looks.exclude(status__in=FINISHED).exists())
    job.refresh_from_db()
    assert job.state == State.CANCELLED
    assert world.calls.restores == [] and len(world.calls.creates) == 1
    assert AuditEvent.objects.filter(action="restore_cancelled", job_id=job.pk).count() == 1
    assert "Cancelled" in text(olivia.get(f"/jobs/{job.pk}/"))


def test_it_finishes_once_when_the_worker_is_killed_mid_call(olivia, world, workers):
    world.calls.hold_creates.clear()  # the safety backup's request arrives, then hangs
    first = workers.start()
    job = restore_with_safety(olivia, world)
    assert world.calls.create_arrived.wait(30)
    workers.kill(first)  # mid-call: the job held, its audit event pending
    world.calls.hold_creates.set()  # the API carries the request out all the same
    job.refresh_from_db()
    assert job.state == State.BACKING_UP and job.safety_event.outcome == "pending"
    workers.start()
    wait_for(lambda: job_in(job, State.DONE, State.FAILED), seconds=90)
    assert job.state == State.DONE, job.detail_text
    assert len(world.calls.creates) == 1 and len(world.calls.restores) == 1
    job.safety_event.refresh_from_db()
    # Interrupted (pending, then unknown), then settled from the list, which showed it.
    assert job.safety_event.outcome == "accepted" and job.safety_event.first_outcome == "pending"
    assert "the list showed backup" in job.safety_event.settled_by


def test_it_keeps_one_chain_of_looks_when_the_workers_die_and_come_back(olivia, world, settings):
    """Both workers killed while the job waits, housekeeping rounds while they are away (the
    job stalled, its look waiting), the workers started again twice over: one look waits."""
    world.state.config.completion_delay = 600
    settings.BACKUPSUI_JOB_LOOK_SECONDS, settings.BACKUPS_API_TIMEOUT = 0.3, 5  # as the workers
    processes = Workers(world.url)
    looks = DBTaskResult.objects.filter(task_path__endswith=".advance_job")
    try:
        started = [processes.start(), processes.start()]
        job = restore_with_safety(olivia, world)
        wait_for(lambda: job_in(job, State.WAITING))
        for _ in range(2):
            for process in started:
                processes.kill(process)
            # Overdue (and let go, if a worker died holding it): the job counts as stalled.
            # A worker killed after taking its look but before holding the job leaves that look
            # running: the housekeeping fails it only once the lease has run out, as it would
            # a look whose worker died holding the job.
            wait_for(
                lambda: (
                    runner.stalled().filter(pk=job.pk).exists()
                    and not looks.filter(
                        status="RUNNING",
                        args_kwargs__args=[job.pk],
                        started_at__gte=datetime.now(UTC) - runner.lease_for(),
                    ).exists()
                )
            )
            for _ in range(2):  # the rounds the scheduler queues meanwhile
                housekeeping.call("while the workers are away")
            started = [processes.start(), processes.start()]
            wait_for(lambda: job_in(job, State.WAITING).next_look_at > datetime.now(UTC))
        for process in started:  # stopped gently: each finishes the look it is running
            process.terminate()
            process.wait(timeout=15)
        job.refresh_from_db()
        assert job.state == State.WAITING
        waiting = looks.filter(status="READY", args_kwargs__args=[job.pk])
        assert [str(look.pk) for look in waiting] == [str(job.look_task)]
        # Started again, the job finishes: one create, one restore.
        world.state.backups[job.safety_backup_id].completes_at = datetime.now(UTC)
        processes.start()
        wait_for(lambda: job_in(job, State.DONE, State.FAILED))
        wait_for(lambda: not looks.filter(status="READY").exists())  # the chain ends
    finally:
        processes.stop()
    assert job.state == State.DONE, job.detail_text
    assert len(world.calls.creates) == 1 and len(world.calls.restores) == 1


class TricklingMailServer:
    """An SMTP server on loopback that never finishes its greeting: one byte every second,
    for as long as the test lasts (a receiver holding an alert's delivery)."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connected, self.done = threading.Event(), threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        with contextlib.suppress(OSError):
            connection, _ = self.listener.accept()
            self.connected.set()
            with connection:
                while not self.done.wait(1):
                    connection.sendall(b"2")

    def stop(self) -> None:
        self.done.set()
        self.listener.close()


def test_it_restores_while_an_alert_is_held_up_with_one_worker_per_queue(olivia, world):
    mail_server = TricklingMailServer()
    processes = Workers(
        world.url,
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        DJANGO_EMAIL_HOST="127.0.0.1",
        DJANGO_EMAIL_PORT=str(mail_server.port),
    )
    person = User.objects.get(username="olivia")
    person.email = "olivia@example.com"
    person.save()
    Subscription.objects.create(user=person, by_email=True)
    try:
        processes.start(queue="default")
        processes.start(queue="alerts")
        alert = send_test_alert.enqueue(person.pk)
        assert mail_server.connected.wait(30)  # the alerts worker is held by the receiver
        job = restore_with_safety(olivia, world)
        wait_for(lambda: job_in(job, State.DONE, State.FAILED))
        assert job.state == State.DONE, job.detail_text
        assert DBTaskResult.objects.get(pk=alert.id).status == "RUNNING"
    finally:
        mail_server.stop()
        processes.stop()
    assert len(world.calls.creates) == 1 and len(world.calls.restores) == 1
