"""Many servers backed up at once: one confirmation naming them, one create per server by the
worker, each audited with who asked and from where, one failure not stopping the others, and
the form sent twice creating nothing twice."""

import re

import pytest
from django.core.management import call_command

from backupsui.audit.models import Action, AuditEvent
from backupsui.jobs.models import BulkItem, BulkRequest
from tests.helpers import text

pytestmark = pytest.mark.django_db(transaction=True)
SERVERS = [12345, 12346, 12347]


def run_worker():
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0")


def manual_creates(sandbox, description):
    return [b for b in sandbox.state.backups.values() if b.description == description]


def send(client, page, description):
    """The confirmation sent as the browser would: its key, its servers, a description."""
    key = re.search(r'name="idempotency_key" value="([^"]+)"', text(page)).group(1)
    data = {"idempotency_key": key, "server_id": SERVERS, "description": description}
    return client.post("/servers/backup/", data)


def confirmed(operator_client, description="before the migration"):
    page = operator_client.get("/servers/backup/", {"server_id": SERVERS})
    assert page.status_code == 200
    body = text(page)
    assert "each of the 3 servers below" in body and "db-server-02" in body
    return send(operator_client, page, description)


def test_it_backs_up_each_chosen_server_once(sandbox, operator_client):
    sent = confirmed(operator_client)
    assert sent.status_code == 302 and sent.url.startswith("/jobs/bulk/")
    run_worker()
    bulk = BulkRequest.objects.get()
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
    assert BulkRequest.objects.count() == 1
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


def chosen_for_deletion(sandbox):
    """An older completed backup, the newest completed one and a running one of a server."""
    sandbox.state.config.completion_delay = 3600
    running = sandbox.state.create_backup("acme", 12345, "running for the test")
    listed = {b["id"]: b for b in sandbox.state.list_backups("acme", 12345, None)}
    done = sorted(
        (b for b in listed.values() if b["status"] == "completed"), key=lambda b: b["created_at"]
    )
    return done[0]["id"], done[-1]["id"], running["id"]


def test_it_deletes_the_chosen_backups_and_names_what_it_leaves_out(sandbox, operator_client):
    older, newest, running = chosen_for_deletion(sandbox)
    page = operator_client.get("/backups/delete/", {"backup_id": [older, newest, running]})
    body = text(page)
    assert page.status_code == 200
    assert "1 backup will be deleted" in body
    assert "its server&#x27;s newest completed backup" in body or "newest completed" in body
    assert "it is being taken now" in body
    key = re.search(r'name="idempotency_key" value="([^"]+)"', body).group(1)
    data = {"idempotency_key": key, "backup_id": [older, newest, running]}
    wrong = operator_client.post("/backups/delete/", {**data, "confirm": "3"})
    assert wrong.status_code == 400 and "Type 1" in text(wrong)
    sent = operator_client.post("/backups/delete/", {**data, "confirm": "1"})
    assert sent.status_code == 302 and sent.url.startswith("/jobs/bulk/")
    run_worker()
    assert older not in sandbox.state.backups
    assert newest in sandbox.state.backups and running in sandbox.state.backups
    [event] = AuditEvent.objects.filter(action=Action.BACKUP_DELETED)
    assert event.backup_id == older and event.outcome == "accepted"


def test_it_deletes_the_newest_only_when_ticked(sandbox, operator_client):
    older, newest, _running = chosen_for_deletion(sandbox)
    page = operator_client.get(
        "/backups/delete/", {"backup_id": [older, newest], "allow_newest": "on"}
    )
    assert "2 backups will be deleted" in text(page)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', text(page)).group(1)
    data = {
        "idempotency_key": key,
        "backup_id": [older, newest],
        "allow_newest": "on",
        "confirm": "2",
    }
    assert operator_client.post("/backups/delete/", data).status_code == 302
    run_worker()
    assert older not in sandbox.state.backups and newest not in sandbox.state.backups


def hidden(page: str) -> dict:
    """The form's hidden fields as the page holds them (one value each, ids aside)."""
    return {
        name: value
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page)
        if name != "backup_id"
    }


def test_it_asks_for_the_new_count_once_the_newest_is_ticked(sandbox, operator_client):
    older, newest, _running = chosen_for_deletion(sandbox)
    page = text(operator_client.get("/backups/delete/", {"backup_id": [older, newest]}))
    assert "1 backup will be deleted" in page
    drawn = hidden(page)
    assert drawn["shown"] == "1" and drawn["shown_newest"] == "False"
    # Ticked, and sent to see the count: asked for it, no error, nothing typed twice.
    ticked = {**drawn, "backup_id": [older, newest], "allow_newest": "on", "confirm": ""}
    asked = operator_client.post("/backups/delete/", ticked)
    body = text(asked)
    assert asked.status_code == 200
    assert "You chose 2 backups now: type 2 to delete them." in body
    assert "field-error" not in body and "2 backups will be deleted" in body
    again = hidden(body)
    assert again["shown"] == "2" and again["shown_newest"] == "on"
    sent = operator_client.post(
        "/backups/delete/",
        {**again, "backup_id": [older, newest], "allow_newest": "on", "confirm": "2"},
    )
    assert sent.status_code == 302
    run_worker()
    assert older not in sandbox.state.backups and newest not in sandbox.state.backups


def test_it_says_why_a_count_typed_before_the_tick_is_refused(sandbox, operator_client):
    older, newest, _running = chosen_for_deletion(sandbox)
    drawn = hidden(text(operator_client.get("/backups/delete/", {"backup_id": [older, newest]})))
    stale = {**drawn, "backup_id": [older, newest], "allow_newest": "on", "confirm": "1"}
    refused = operator_client.post("/backups/delete/", stale)
    assert refused.status_code == 400
    body = text(refused)
    assert "You chose 2 backups now, with the tick on the newest; type 2." in body
    assert 'name="confirm" value="1"' not in body  # the old count is not kept
    assert older in sandbox.state.backups and newest in sandbox.state.backups


def test_it_says_the_list_changed_when_the_count_shown_is_no_longer_right(sandbox, operator_client):
    older, newest, _running = chosen_for_deletion(sandbox)
    others = sorted(
        b.id
        for b in sandbox.state.backups.values()
        if b.server.id == 12345 and b.id not in (older, newest) and b.backup_type == "automatic"
    )[:2]
    drawn = hidden(text(operator_client.get("/backups/delete/", {"backup_id": others})))
    assert drawn["shown"] == "2"
    sandbox.state.delete_backup("acme", others[0])  # elsewhere, meanwhile
    from backupsui.backups.lists import memory

    memory.clear()
    refused = operator_client.post(
        "/backups/delete/", {**drawn, "backup_id": others, "confirm": "2"}
    )
    assert refused.status_code == 400
    assert "The list changed since this page was drawn: 1 backup goes now, not 2; type 1." in text(
        refused
    )
