"""The client against the sandbox over loopback, and against odd-but-valid answers."""

import json
import logging
import socket
from datetime import UTC, datetime

import pytest
import requests
import responses
from responses import matchers

from backupsui.upstream import (
    BackupsClient,
    BadRequest,
    BadResponse,
    NotFound,
    Unauthorized,
    Unavailable,
)
from backupsui.upstream import client as client_module
from backupsui.upstream.client import RETRY_AFTER_CAP, USER_AGENT
from tests.conftest import OPERATOR_TOKEN
from tests.helpers import DOCUMENT_ITEM

URL = "http://backups.test/api/v1"
ITEM = DOCUMENT_ITEM


def client(token="secret-token-abcd", **kwargs):
    return BackupsClient(token, base_url=URL, timeout=(0.5, 0.5), **kwargs)


def listing(*items):
    return {"count": len(items), "results": list(items)}


# Against the sandbox, over real HTTP ------------------------------------------------------


def test_it_lists_creates_deletes_and_restores_against_the_sandbox(sandbox):
    api = BackupsClient(OPERATOR_TOKEN, base_url=sandbox.url)
    backups = api.list_backups()
    assert len(backups) == 3 * 32
    created = api.create_backup(12345, "before the upgrade")
    assert created.backup.status == "in_progress" and created.backup.size_mb is None
    assert created.status == 201 and "Backup is being created" in created.message
    completed = next(b for b in backups if b.status == "completed" and b.server.id == 12345)
    restored = api.restore_server(12345, completed.id)
    assert restored.status == 202 and "restored" in restored.message
    assert api.delete_backup(completed.id) == 204
    with pytest.raises(NotFound):
        api.delete_backup(completed.id)
    with pytest.raises(NotFound):
        api.create_backup(999, "")


def test_it_reports_a_refused_token_and_field_errors_from_the_sandbox(sandbox):
    with pytest.raises(Unauthorized):
        BackupsClient("nope-nope", base_url=sandbox.url).list_backups()
    api = BackupsClient(OPERATOR_TOKEN, base_url=sandbox.url)
    with pytest.raises(BadRequest) as caught:
        api.create_backup(12345, "x" * 300)
    assert "description" in caught.value.fields


def test_it_reuses_one_connection_per_thread(sandbox):
    api = BackupsClient(OPERATOR_TOKEN, base_url=sandbox.url)
    from backupsui.upstream.client import _session

    assert _session() is _session()
    api.list_backups()


# Odd but valid answers, at the client boundary -------------------------------------------


@responses.activate
def test_it_parses_unsorted_lists_nulls_unknown_statuses_and_extra_fields():
    odd = dict(ITEM, id=7, status="deleting", size_mb=None, expires_at=None, extra={"a": 1})
    missing_description = {k: v for k, v in ITEM.items() if k != "description"}
    responses.get(
        URL + "/backups/",
        json=listing(ITEM, odd, missing_description, dict(ITEM, id=8, description=None)),
    )
    backups = client().list_backups()
    assert [b.id for b in backups] == [501, 7, 501, 8]
    assert backups[1].status == "deleting" and backups[1].size_mb is None
    assert backups[1].expires_at is None
    assert backups[2].description == "" and backups[3].description == ""
    assert backups[0].created_at.utcoffset().total_seconds() == 0


@responses.activate
def test_it_reads_naive_and_offset_times_nulls_and_fractional_sizes():
    odd = dict(
        ITEM,
        created_at="2025-01-16T03:00:00",
        expires_at="2025-02-16T05:00:00+02:00",
        size_mb=4523.5,
        status=None,
        backup_type=None,
        server={"id": 1, "name": None},
    )
    responses.get(URL + "/backups/", json=listing(odd))
    [backup] = client().list_backups()
    assert backup.created_at == datetime(2025, 1, 16, 3, tzinfo=UTC)
    assert backup.expires_at == datetime(2025, 2, 16, 3, tzinfo=UTC)
    assert backup.size_mb == 4523.5
    assert (backup.status, backup.backup_type, backup.server.name) == ("", "", "")


@responses.activate
def test_it_sends_the_token_only_in_the_authorization_header_and_names_itself():
    responses.get(
        URL + "/backups/",
        json=listing(),
        match=[
            matchers.header_matcher(
                {"Authorization": "Bearer secret-token-abcd", "User-Agent": USER_AGENT}
            ),
            matchers.query_param_matcher({}),
        ],
    )
    assert client().list_backups() == []
    assert "secret-token" not in responses.calls[0].request.url


@responses.activate
def test_it_posts_json_for_create_and_restore():
    responses.post(
        URL + "/backups/",
        status=201,
        json=dict(ITEM, status="in_progress", size_mb=None, message="Started."),
        match=[matchers.json_params_matcher({"server_id": 12345, "description": "note"})],
    )
    responses.post(
        URL + "/servers/12345/restore/",
        status=200,
        body=b"",
        match=[matchers.json_params_matcher({"backup_id": 501})],
    )
    created = client().create_backup(12345, "note")
    assert created.message == "Started." and created.backup.in_progress
    restored = client().restore_server(12345, 501)
    assert restored.status == 200 and restored.message == ""


@pytest.mark.parametrize(
    ("status", "body", "content_type", "kind", "text"),
    [
        (401, b"", None, Unauthorized, "refused"),
        (403, b'{"detail": "Forbidden"}', "application/json", Unauthorized, "refused"),
        (404, b'{"detail": "Backup not found."}', "application/json", NotFound, "not found"),
        (404, b"<html>nope</html>", "text/html", NotFound, "No such"),
        (400, b'{"server_id": ["Bad id."]}', "application/json", BadRequest, "Bad id."),
        (400, b"<html><body>Bad Request</body></html>", "text/html", BadRequest, "HTTP 400"),
        (409, b'{"message": "Busy restoring."}', "application/json", BadRequest, "Busy"),
        (500, b"", None, Unavailable, "HTTP 500"),
        (502, b"<html><h1>502 Bad Gateway</h1></html>", "text/html", Unavailable, "HTTP 502"),
    ],
)
@responses.activate
def test_it_turns_error_answers_into_readable_errors(status, body, content_type, kind, text):
    responses.get(URL + "/backups/", status=status, body=body, content_type=content_type)
    with pytest.raises(kind) as caught:
        client().list_backups()
    assert text.lower() in str(caught.value.message).lower()
    assert caught.value.status == status
    assert "<html" not in str(caught.value.message)


@responses.activate
def test_it_keeps_field_errors_from_a_400():
    responses.post(
        URL + "/backups/",
        status=400,
        json={"server_id": ["A valid integer is required."], "description": "Long."},
    )
    with pytest.raises(BadRequest) as caught:
        client().create_backup(1, "x")
    assert caught.value.fields == {
        "server_id": ["A valid integer is required."],
        "description": ["Long."],
    }


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"results": "no"}',
        b'{"results": [{"id": "x"}]}',
        b'{"results": [{"id": 1, "server": {"id": 1}}]}',
    ],
)
@responses.activate
def test_it_reports_answers_of_the_wrong_shape(body):
    responses.get(URL + "/backups/", body=body, content_type="application/json")
    with pytest.raises(BadResponse):
        client().list_backups()


@responses.activate
def test_it_retries_a_get_after_503_then_succeeds():
    responses.get(URL + "/backups/", status=503, headers={"Retry-After": "0"})
    responses.get(URL + "/backups/", json=listing(ITEM))
    assert [b.id for b in client().list_backups()] == [501]
    assert len(responses.calls) == 2


@responses.activate
def test_it_retries_a_get_after_429():
    responses.get(URL + "/backups/", status=429, headers={"Retry-After": "0"})
    responses.get(URL + "/backups/", json=listing())
    assert client().list_backups() == []
    assert len(responses.calls) == 2


@pytest.mark.parametrize(("header", "wait"), [("2", 2.0), ("3600", RETRY_AFTER_CAP)])
@responses.activate
def test_it_honours_retry_after_but_never_waits_long(monkeypatch, header, wait):
    waits = []
    monkeypatch.setattr(client_module.time, "sleep", waits.append)
    responses.get(URL + "/backups/", status=503, headers={"Retry-After": header})
    responses.get(URL + "/backups/", json=listing())
    BackupsClient("secret-token-abcd", base_url=URL, timeout=(0.5, 30)).list_backups()
    assert waits == [wait]


@responses.activate
def test_it_never_retries_a_post_or_delete():
    responses.post(URL + "/backups/", status=503)
    responses.delete(URL + "/backups/5/", status=502)
    with pytest.raises(Unavailable) as caught:
        client().create_backup(1, "")
    assert caught.value.outcome_unknown
    with pytest.raises(Unavailable):
        client().delete_backup(5)
    assert len(responses.calls) == 2


@responses.activate
def test_it_turns_a_timeout_into_unavailable():
    responses.get(URL + "/backups/", body=requests.exceptions.ReadTimeout("slow"))
    responses.post(URL + "/backups/", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(Unavailable) as caught:
        client().list_backups()
    assert "in time" in str(caught.value.message) and not caught.value.outcome_unknown
    with pytest.raises(Unavailable) as caught:
        client().create_backup(1, "")
    assert caught.value.outcome_unknown and "unknown" in str(caught.value.message)


def test_it_turns_a_refused_connection_into_unavailable_with_nothing_changed():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = BackupsClient(
        "t0ken-abcd", base_url=f"http://127.0.0.1:{port}/api/v1", timeout=(0.5, 0.5)
    )
    with pytest.raises(Unavailable) as caught:
        api.create_backup(1, "")
    assert not caught.value.outcome_unknown
    assert "Nothing was changed" in str(caught.value.message)


@responses.activate
def test_it_never_logs_the_token(caplog):
    caplog.set_level(logging.DEBUG)
    responses.get(URL + "/backups/", json=listing(ITEM))
    responses.post(URL + "/backups/", status=500, body=b"boom")
    client().list_backups()
    with pytest.raises(Unavailable) as caught:
        client().create_backup(1, "")
    assert "secret-token" not in caplog.text
    assert "secret-token" not in str(caught.value) + repr(client())
    assert "secret-token" not in json.dumps(caught.value.fields)


@responses.activate
def test_it_refuses_a_token_no_header_could_carry_without_sending_it():
    with pytest.raises(Unauthorized):
        client(token="Ｓｅｒｖｅｒ-token").list_backups()
    assert len(responses.calls) == 0


# Paged answers ---------------------------------------------------------------------------


@responses.activate
def test_it_follows_next_links_on_the_apis_own_host_only():
    responses.get(
        URL + "/backups/",
        json={"count": 3, "next": URL + "/backups/?page=2", "results": [dict(ITEM, id=1)]},
        match=[matchers.query_param_matcher({})],
    )
    responses.get(
        URL + "/backups/",
        json={"count": 3, "next": "/api/v1/backups/?page=3", "results": [dict(ITEM, id=2)]},
        match=[matchers.query_param_matcher({"page": "2"})],
    )
    responses.get(
        URL + "/backups/",
        json={"count": 3, "next": "https://elsewhere.test/steal", "results": [dict(ITEM, id=3)]},
        match=[matchers.query_param_matcher({"page": "3"})],
    )
    listed = client().list_backups()
    assert [b.id for b in listed] == [1, 2, 3] and listed.counted == 3
    assert len(responses.calls) == 3  # elsewhere.test was never asked


@responses.activate
def test_it_stops_at_a_loop_of_next_links_and_flags_a_short_count():
    responses.get(
        URL + "/backups/",
        json={"count": 9, "next": URL + "/backups/", "results": [dict(ITEM, id=1)]},
    )
    listed = client().list_backups()
    assert [b.id for b in listed] == [1] and listed.counted == 9


@responses.activate
def test_it_counts_the_size_bound_across_pages():
    big = [dict(ITEM, id=n, description="x" * 200) for n in range(1, 2000)]
    responses.get(
        URL + "/backups/",
        json={"count": 4000, "next": URL + "/backups/?page=2", "results": big},
        match=[matchers.query_param_matcher({})],
    )
    responses.get(
        URL + "/backups/",
        json={"count": 4000, "next": None, "results": big},
        match=[matchers.query_param_matcher({"page": "2"})],
    )
    one_page = len(json.dumps({"count": 4000, "next": None, "results": big}))
    bound = (one_page * 1.5) / 2**20
    with pytest.raises(BadResponse) as caught:
        BackupsClient(
            "secret-token-abcd", base_url=URL, timeout=(0.5, 5), max_mb=bound
        ).list_backups()
    assert "more than" in str(caught.value.message)
