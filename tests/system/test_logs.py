"""Log lines an SRE can use: one JSON object per line as production writes them (the handler
the settings configure, read back from its stream), each with the request id and the user id;
an upstream failure says its cause, status and duration in one line; the 500 page quotes the
request id its log line carries; gunicorn's access lines are JSON with the request id."""

import json
import logging
import re

import pytest
import requests

from backupsui.logs import log_format
from backupsui.upstream import BackupsClient
from tests.faults import FaultServer, closed_port
from tests.stack import Replica, production_env


@pytest.fixture(scope="module")
def faults():
    with FaultServer() as server:
        yield server


# scenario: (cause, status)
CAUSES = {
    "hang": ("timeout", None),
    "refused": ("refused", None),
    "error-500": ("5xx", 500),
    "bad-json": ("unreadable", 200),
}


@pytest.mark.parametrize("scenario", list(CAUSES))
def test_it_writes_one_json_line_with_the_cause_of_an_upstream_failure(
    operator_client, operator, settings, faults, written, scenario
):
    settings.BACKUPS_API_TIMEOUT = settings.BACKUPS_API_CONNECT_TIMEOUT = 0.5
    refused = f"http://127.0.0.1:{closed_port()}/api/v1"
    settings.BACKUPS_API_URL = refused if scenario == "refused" else faults.api(scenario)
    response = operator_client.get("/backups/")
    assert response.status_code == 502
    request_id = response["X-Request-ID"]
    mine = [line for line in written() if line.get("request_id") == request_id]
    assert len(mine) == 1, mine  # not also django.request's bare "Bad Gateway: /backups/"
    (line,) = mine
    assert line["logger"] == "backupsui.upstream" and line["level"] == "WARNING"
    assert line["user_id"] == operator.pk
    assert (line["cause"], line["status"]) == CAUSES[scenario]
    assert line["upstream_call"] == "list_backups"
    if scenario == "hang":
        assert line["duration_ms"] >= 450
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])


def test_it_quotes_on_the_500_page_the_request_id_of_the_traceback_line(
    operator_client, operator, sandbox, monkeypatch, written
):
    def crash(self, *args, **kwargs):
        raise RuntimeError("a defect\nover two lines")

    monkeypatch.setattr(BackupsClient, "list_backups", crash)
    operator_client.raise_request_exception = False
    response = operator_client.get("/backups/")
    assert response.status_code == 500
    quoted = re.search(r'<code class="mono">([0-9a-f]{32})</code>', response.content.decode())
    assert quoted and quoted[1] == response["X-Request-ID"]
    [line] = [line for line in written() if line.get("request_id") == quoted[1]]
    assert line["logger"] == "django.request" and line["level"] == "ERROR"
    assert line["message"] == "Internal Server Error: /backups/"
    assert line["user_id"] == operator.pk and line["status_code"] == 500
    assert "Traceback" in line["exc_info"] and "RuntimeError: a defect" in line["exc_info"]


def test_it_writes_lines_without_a_request_as_json_too(written):
    logging.getLogger("backupsui.jobs").warning("a worker's line", extra={"job": 7})
    (line,) = written()
    assert (line["message"], line["job"], line["request_id"], line["user_id"]) == (
        "a worker's line",
        7,
        None,
        None,
    )


def test_it_chooses_json_unless_debug_or_asked_otherwise():
    assert log_format(False, {}) == "json"
    assert log_format(True, {}) == "plain"
    assert log_format(False, {"BACKUPSUI_LOG_FORMAT": "Plain"}) == "plain"
    assert log_format(True, {"BACKUPSUI_LOG_FORMAT": "json"}) == "json"
    with pytest.raises(ValueError, match="BACKUPSUI_LOG_FORMAT"):
        log_format(False, {"BACKUPSUI_LOG_FORMAT": "xml"})


@pytest.mark.django_db(transaction=True)
def test_it_has_gunicorn_write_json_access_lines_with_the_request_id(tmp_path):
    access = tmp_path / "access.log"
    replica = Replica(
        production_env("http://127.0.0.1:9/api/v1", GUNICORN_ACCESSLOG=str(access)), workers=1
    )
    try:
        answers = [
            requests.get(replica.url + path, timeout=10, headers={"User-Agent": 'probe "1"'})
            for path in ("/healthz", "/nowhere?q=1")
        ]
    finally:
        replica.stop()
    lines = [json.loads(line) for line in access.read_text().splitlines()]
    for answer, path, query in zip(answers, ("/healthz", "/nowhere"), ("", "q=1"), strict=True):
        [line] = [line for line in lines if line["request_id"] == answer.headers["X-Request-ID"]]
        assert (line["method"], line["path"], line.get("query", ""), line["status"]) == (
            "GET",
            path,
            query,
            answer.status_code,
        )
        assert line["user_agent"] == 'probe "1"' and line["logger"] == "gunicorn.access"
    # Everything else gunicorn and the panel wrote: JSON objects, one a line.
    assert replica.log.strip()
    for written_line in replica.log.splitlines():
        assert isinstance(json.loads(written_line), dict), written_line


def test_it_writes_an_ordinary_refusal_as_one_line_without_a_traceback(
    support_client, sandbox, written
):
    refused = support_client.get("/backups/1/delete/")  # Support may not delete
    assert refused.status_code == 403
    mine = [line for line in written() if line["request_id"] == refused["X-Request-ID"]]
    assert [(line["logger"], line["message"]) for line in mine] == [
        ("django.request", "Forbidden (Permission denied): /backups/1/delete/")
    ]
    assert "exc_info" not in mine[0] and mine[0]["status_code"] == 403
