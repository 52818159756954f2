"""Live status: one poll for the page, only while something runs, only the changed rows."""

from datetime import UTC, datetime, timedelta

import pytest
import responses
from django.test import override_settings

from backupsui.accounts.models import Preference
from backupsui.backups.lists import memory
from backupsui.upstream import BackupsClient
from tests.helpers import poll_url, row_ids, text


@pytest.fixture
def running(sandbox):
    sandbox.state.config.completion_delay = 3600
    first = sandbox.state.create_backup("acme", 12345, "one")
    second = sandbox.state.create_backup("acme", 12346, "two")
    return first["id"], second["id"]


@pytest.fixture
def asked(monkeypatch):
    """The list calls made to the API; the calls still go out."""
    calls = []
    original = BackupsClient.list_backups

    def counted(self):
        calls.append("list")
        return original(self)

    monkeypatch.setattr(BackupsClient, "list_backups", counted)
    return calls


def move_clock(sandbox, seconds):
    sandbox.state.clock = lambda: datetime.now(UTC) + timedelta(seconds=seconds)


def test_it_polls_only_while_something_is_in_progress(sandbox, operator_client):
    assert poll_url(operator_client.get("/backups/")) is None
    assert "data-poll" not in text(operator_client.get("/backups/"))


def test_it_polls_one_endpoint_for_the_whole_page(running, operator_client):
    body = text(operator_client.get("/backups/"))
    assert body.count("data-poll") == 1
    url = poll_url(operator_client.get("/backups/"))
    assert f"12345:{running[0]}" in url and f"12346:{running[1]}" in url


def test_it_sends_nothing_but_the_poller_while_nothing_changed(running, operator_client, sandbox):
    url = poll_url(operator_client.get("/backups/"))
    response = operator_client.get(url)
    assert response.status_code == 200
    assert row_ids(response) == []
    assert poll_url(response) == url


def test_it_sends_only_the_changed_rows_and_then_stops(
    running, operator_client, sandbox, monkeypatch
):
    url = poll_url(operator_client.get("/backups/"))
    first, second = running
    sandbox.state.backups[first].completes_at = datetime.now(UTC) - timedelta(seconds=1)
    memory.clear()  # the list the page was drawn from is old now
    response = operator_client.get(url)
    body = text(response)
    assert row_ids(response) == [first]
    assert 'hx-swap-oob="true"' in body and "Completed" in body
    assert f"Backup {first} of web-server-01 is now Completed" in body
    assert poll_url(response) == f"/backups/poll/?watch=12346:{second}"
    move_clock(sandbox, 7200)
    memory.clear()
    last = operator_client.get(poll_url(response))
    assert row_ids(last) == [second]
    assert poll_url(last) is None and "data-poll" not in text(last)
    assert len(last.content) < 2048


def test_it_asks_upstream_once_whatever_the_number_watched(running, operator_client, asked):
    url = poll_url(operator_client.get("/backups/"))
    asked.clear()
    memory.clear()  # the list the page was drawn from is old now
    operator_client.get(url)
    assert asked == ["list"]  # the whole list, once, covers every watched backup
    asked.clear()
    operator_client.get(url)  # within the cache's few seconds
    assert asked == []


def test_it_removes_a_row_that_vanished(running, operator_client, sandbox):
    url = poll_url(operator_client.get("/backups/"))
    sandbox.state.delete_backup("acme", running[0])
    memory.clear()  # the list the page was drawn from is old now
    body = text(operator_client.get(url))
    assert f'<tr id="backup-{running[0]}" hx-swap-oob="delete">' in body


def test_it_ignores_garbage_in_the_watch_list(sandbox, operator_client):
    response = operator_client.get("/backups/poll/", {"watch": "x:y,1:,<b>,:3,99:abc"})
    assert response.status_code == 200 and "data-poll" not in text(response)


@override_settings(BACKUPS_API_URL="http://backups.test/api/v1")
@responses.activate
def test_it_keeps_polling_through_an_outage(operator_client):
    responses.get("http://backups.test/api/v1/backups/", status=503)
    response = operator_client.get("/backups/poll/", {"watch": "7:70"})
    assert response.status_code == 200
    assert poll_url(response) == "/backups/poll/?watch=7:70"
    assert "Live status paused: The backups service is unavailable" in text(response)


def test_it_refuses_to_watch_more_than_fifty_backups_at_once(sandbox, operator_client):
    pairs = ",".join(f"12345:{n}" for n in range(1, 201))
    assert operator_client.get("/backups/poll/", {"watch": pairs}).status_code == 400


def test_it_answers_fifty_watched_backups_with_one_call(running, operator_client, asked):
    pairs = ",".join(f"{12345 + n % 3}:{n}" for n in range(1, 49))
    pairs += f",12345:{running[0]},12346:{running[1]}"
    response = operator_client.get("/backups/poll/", {"watch": pairs})
    assert response.status_code == 200 and len(asked) == 1
    assert f"12345:{running[0]}" in poll_url(response)


def test_it_announces_a_change_in_the_readers_language(running, operator, operator_client, sandbox):
    Preference.objects.create(user=operator, language="sm")
    url = poll_url(operator_client.get("/backups/"))
    first, _second = running
    sandbox.state.backups[first].completes_at = datetime.now(UTC) - timedelta(seconds=1)
    memory.clear()
    live = text(operator_client.get(url)).split('<div id="live"')[1]
    assert "Ua maeʻa" in live  # Completed, as the badge says it
    assert "completed" not in live
