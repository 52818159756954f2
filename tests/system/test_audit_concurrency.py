"""Many people at once: 200 create, delete and restore actions from 8 threads against the
sandbox end with exactly 200 finished events (run on PostgreSQL in CI, and on SQLite)."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from backupsui.audit.models import AuditEvent, Outcome
from tests.helpers import FormClient

THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_it_records_exactly_one_final_event_per_action_under_concurrency(
    sandbox, operator, settings
):
    settings.BACKUPS_CACHE_SECONDS = 0
    deletable = [
        b
        for b in sandbox.state.backups.values()
        if b.server.account == "acme" and b.backup_type == "automatic"
    ][:50]
    restorable = [
        b
        for b in sandbox.state.backups.values()
        if b.server.account == "acme" and b.backup_type == "manual"
    ]
    actions = (
        [("create", n) for n in range(100)]
        + [("delete", b) for b in deletable]
        + [("restore", restorable[n % len(restorable)]) for n in range(50)]
    )
    assert len(actions) == 200
    signed_in = FormClient()
    signed_in.force_login(operator)
    cookies = signed_in.cookies

    def act(item):
        kind, subject = item
        client = FormClient()
        client.cookies = cookies
        try:
            if kind == "create":
                response = client.post(
                    "/backups/new/",
                    {"server_id": 12345 + subject % 3, "description": f"load {subject}"},
                )
            elif kind == "delete":
                response = client.post(
                    f"/backups/{subject.id}/delete/", {"server_id": subject.server.id}
                )
            else:
                response = client.post(
                    f"/servers/{subject.server.id}/restore/",
                    # Restores of one server at once: "restore anyway", past the first.
                    {"backup_id": subject.id, "confirm": subject.server.name, "anyway": "on"},
                )
            return response.status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        statuses = list(pool.map(act, actions))

    assert statuses.count(302) == 200, statuses
    changes = AuditEvent.objects.exclude(action="sign_in")
    assert changes.count() == 200
    assert not changes.filter(outcome=Outcome.PENDING).exists()
    assert changes.filter(outcome=Outcome.ACCEPTED).count() == 200
    assert changes.filter(action="backup_deleted").count() == 50
