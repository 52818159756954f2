"""A gunicorn worker killed mid-change (SIGKILL, while the API is slow to answer) leaves its
audit event pending; after twice the API's time limit it is settled as interrupted."""

import os
import signal
import threading
import time

import pytest
import requests
from django.core.management import call_command

from backupsui.audit.models import AuditEvent, Outcome
from tests.conftest import OPERATOR_TOKEN, PASSWORD, make_user
from tests.faults import FaultServer
from tests.stack import Browser, Replica, production_env, wait_for
from tests.system.test_replicas import QuickPBKDF2

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 2  # seconds the API may take: a pending event older than 4 s was interrupted


def test_it_settles_the_event_of_a_worker_killed_mid_change(django_user_model, settings):
    settings.BACKUPS_API_TIMEOUT = TIMEOUT
    olivia = make_user(django_user_model, "olivia", "Operators", OPERATOR_TOKEN)
    hasher = QuickPBKDF2()
    olivia.password = hasher.encode(PASSWORD, hasher.salt())
    olivia.save()
    with FaultServer() as faults:
        env = production_env(
            faults.api("hang"), BACKUPSUI_TRUSTED_PROXIES="127.0.0.1", BACKUPS_API_TIMEOUT="2"
        )
        replica = Replica(env, workers=1)
        try:
            person = Browser()
            assert person.sign_in(replica.url, "olivia", PASSWORD).status_code == 302
            form = {**person.form(replica.url + "/backups/new/"), "server_id": "12345"}
            broken = []

            def send():
                try:
                    person.post(replica.url + "/backups/new/", form)
                except requests.ConnectionError as error:  # the worker died under it
                    broken.append(error)

            sending = threading.Thread(target=send, daemon=True)
            sending.start()
            event = wait_for(lambda: AuditEvent.objects.filter(action="backup_requested").first())
            [worker] = replica.workers()
            os.kill(worker, signal.SIGKILL)  # mid-call: the API has not answered yet
            sending.join(timeout=15)
            assert broken  # the person got no answer at all
            # Settled at once, not after the replica's graceful stop: that can outlast the
            # 2 × TIMEOUT an event may stay pending on a loaded machine.
            event.refresh_from_db()
            assert event.outcome == Outcome.PENDING and event.finished_at is None
            call_command("settle_audit")
            event.refresh_from_db()
            assert event.outcome == Outcome.PENDING  # not yet: its request might still answer
        finally:
            replica.stop()
    wait_for(lambda: time.time() - event.created_at.timestamp() > 2 * TIMEOUT, every=0.2)
    call_command("settle_audit")
    event.refresh_from_db()
    assert event.outcome == Outcome.UNKNOWN and "interrupted" in event.settled_by


def test_it_says_why_a_restore_job_killed_mid_restore_ended_unknown(sandbox, operator):
    """The worker died after sending the restore and before writing the answer: the event is
    settled as interrupted with no message of the API's; the job says what happened."""
    from django.utils import timezone

    from backupsui.audit.models import Action
    from backupsui.jobs import runner
    from backupsui.jobs.models import Job

    sent = AuditEvent.objects.create(
        actor=operator,
        actor_username=operator.username,
        action=Action.RESTORE_REQUESTED,
        server_id=12345,
        backup_id=1,
        created_at=timezone.now() - timezone.timedelta(hours=1),
    )
    job = Job.objects.create(
        user=operator, state=Job.State.RESTORING, server_id=12345, backup_id=1, restore_event=sent
    )
    runner.advance(job.pk)
    job.refresh_from_db()
    sent.refresh_from_db()
    assert sent.outcome == Outcome.UNKNOWN and sent.message == ""
    assert job.state == Job.State.DONE
    assert job.detail_text == (
        "The restore was sent, but how it ended is unknown: the worker stopped before the "
        "answer was recorded."
    )
