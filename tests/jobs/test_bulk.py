"""Many servers backed up at once: one confirmation naming them, one create per server by the
worker, each audited with who asked and from where, one failure not stopping the others, and
the form sent twice creating nothing twice."""

import re

import pytest
from django.core.management import call_command

from backupsui.audit.models import Action, AuditEvent
from backupsui.jobs.models import BulkBackup, BulkItem
from tests.helpers import text

pytestmark = pytest.mark.django_db(transaction=True)
SERVERS = [12345, 12346, 12347]


def run_worker():
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0")


def manual_creates(sandbox, description):
    return [b for b in sandbox.state.backups.values() if b.description == description]


def send(client, page, description):
    """The confirmation sent as the browser would: its key, its servers, a description."""
    key = re.search(r'name="once" value="([^"]+)"', text(page)).group(1)
    data = {"once": key, "server_id": SERVERS, "description": description}
    return client.post("/servers/backup/", data)


def confirmed(operator_client, description="before the migration"):
    page = operator_client.get("/servers/backup/", {"server_id": SERVERS})
    assert page.status_code == 200
    body = text(page)
    assert "each of the 3 servers below" in body and "db-server-02" in body
    return send(operator_client, page, description)


def test_it_backs_up_each_chosen_server_once(sandbox, operator_client):
    sent = confirmed(operator_client)
    assert sent.status_code == 302 and sent.url.startswith("/servers/backup/")
    run_worker()
    bulk = BulkBackup.objects.get()
    assert sorted(bulk.items.values_list("state", flat=True)) == ["accepted"] * 3
    assert len(manual_creates(sandbox, "before the migration")) == 3
    events = AuditEvent.objects.filter(action=Action.BACKUP_REQUESTED)
    assert sorted(events.values_list("server_id", flat=True)) == SERVERS
    assert {e.actor_username for e in events} == {"olivia"}
    results = text(operator_client.get(sent.url))
    assert results.count("badge-accepted") == 3


def test_it_creates_nothing_twice_when_the_form_is_sent_again(sandbox, operator_client):
    page = operator_client.get("/servers/backup/", {"server_id": SERVERS})
    first = send(operator_client, page, "twice")
    again = send(operator_client, page, "twice")
    assert first.status_code == again.status_code == 302
    run_worker()
    assert BulkBackup.objects.count() == 1
    assert len(manual_creates(sandbox, "twice")) == 3


def test_it_goes_on_when_one_server_refuses(sandbox, operator_client):
    page = operator_client.get("/servers/backup/", {"server_id": SERVERS})
    sandbox.state.servers[12346].account = "elsewhere"  # gone from this account meanwhile
    send(operator_client, page, "one refuses")
    run_worker()
    states = dict(BulkItem.objects.values_list("server_id", "state"))
    assert states == {12345: "accepted", 12346: "refused", 12347: "accepted"}
    assert len(manual_creates(sandbox, "one refuses")) == 2


def test_it_asks_for_servers_first(sandbox, operator_client):
    empty = operator_client.get("/servers/backup/")
    assert empty.status_code == 302 and empty.url == "/servers/"
