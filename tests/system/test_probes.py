"""Health probes as a load balancer or a kubelet sends them: plain HTTP straight to a replica,
with a Host naming the pool or the replica's address, while the HTTPS redirect is on; HEAD
answered without a body (and without gunicorn's warning about one), any other method than
GET and HEAD with 405; a database that refuses connections makes /readyz answer 503 (one log
line a minute), and 200 again when it is back."""

import logging

import psycopg
import pytest
import requests
from django.db import connection
from django.test import Client

from backupsui.probes import NotReadyLog
from tests.stack import Replica, production_env

POOL_HOST = "backupsui_replicas"


@pytest.fixture
def redirecting(settings):
    settings.SECURE_SSL_REDIRECT = True
    return Client()


def test_it_answers_probes_over_plain_http_whatever_the_host(db, redirecting):
    for host in (POOL_HOST, "10.0.0.7:8000", "testserver"):
        health = redirecting.get("/healthz", headers={"host": host})
        assert health.status_code == 200, host
        assert health.content.decode().startswith("ok\n")
        ready = redirecting.get("/readyz", headers={"host": host})
        assert (ready.status_code, ready.json()) == (200, {"database": "ok"}), host
        assert redirecting.head("/readyz", headers={"host": host}).status_code == 200
    # Everything else still goes to HTTPS, and still only by an allowed name.
    assert redirecting.get("/accounts/login/").status_code == 301
    assert redirecting.get("/accounts/login/", headers={"host": POOL_HOST}).status_code == 400
    assert redirecting.get("/healthz/", headers={"host": POOL_HOST}).status_code == 400


def test_it_answers_other_methods_than_get_and_head_with_405(db, settings):
    settings.BACKUPSUI_METRICS_TOKEN = "scrape-key"
    browser = Client(enforce_csrf_checks=True)  # as a real client: no test client's pass
    for path in ("/healthz", "/readyz", "/metrics"):
        for method in ("post", "put", "delete", "patch"):
            answer = getattr(browser, method)(path, "ping", content_type="text/plain")
            assert answer.status_code == 405, (method, path)
            assert answer["Allow"] == "GET, HEAD"


@pytest.mark.django_db(transaction=True)
def test_it_answers_head_without_a_body_and_without_a_warning():
    replica = Replica(production_env("http://127.0.0.1:9/api/v1"), workers=1)
    probe = requests.Session()
    probe.trust_env = False
    try:
        for path in ("/healthz", "/readyz", "/accounts/login/"):
            got = probe.get(replica.url + path, timeout=10)
            head = probe.head(replica.url + path, timeout=10)
            assert (head.status_code, head.content) == (got.status_code, b""), path
            assert int(head.headers["Content-Length"]) > 0, path  # the length of the GET's
            if path != "/accounts/login/":  # (a form's token changes its compressed length)
                assert head.headers["Content-Length"] == got.headers["Content-Length"], path
        posted = probe.post(replica.url + "/healthz", timeout=10)
        assert posted.status_code == 405
    finally:
        replica.stop()
    assert "no-body response" not in replica.log, replica.log[-3000:]
    assert "Traceback" not in replica.log


def test_it_writes_one_line_a_minute_while_not_ready(caplog):
    now = [1000.0]
    log = NotReadyLog(clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="backupsui.probes"):
        for _ in range(5):
            log.failed(ConnectionError("refused\nsecond line"))
            now[0] += 10
        assert len(caplog.records) == 1  # 0 s; then 10 to 40 s: quiet
        now[0] += 10  # 60 s after the first line
        log.failed(ConnectionError("refused"))
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2
    assert lines[0] == (
        "not ready: the database did not answer (ConnectionError: refused); "
        "0 more failures since the last line"
    )
    assert lines[1].endswith("; 4 more failures since the last line")


def postgres_admin(sql: str) -> None:
    db = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        autocommit=True,
    ) as admin:
        admin.execute(sql)


if connection.vendor == "postgresql":  # refusing connections is PostgreSQL's own switch

    @pytest.mark.django_db(transaction=True)
    def test_it_is_not_ready_over_plain_http_while_the_database_refuses_connections():
        name = connection.settings_dict["NAME"]
        replica = Replica(
            production_env("http://127.0.0.1:9/api/v1", DJANGO_SECURE_SSL_REDIRECT="1"),
            workers=1,
        )
        probe = requests.Session()
        probe.trust_env = False

        def ready() -> int:
            answer = probe.get(replica.url + "/readyz", headers={"Host": POOL_HOST}, timeout=10)
            return answer.status_code

        try:
            assert ready() == 200
            assert (
                probe.get(replica.url + "/accounts/login/", allow_redirects=False).status_code
                == 301
            )
            connection.close()
            postgres_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            postgres_admin(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            )
            assert [ready() for _ in range(5)] == [503] * 5
        finally:
            postgres_admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        try:
            assert ready() == 200
        finally:
            replica.stop()
        not_ready = [line for line in replica.log.splitlines() if "not ready" in line]
        assert len(not_ready) == 1, replica.log[-3000:]
        assert "Traceback" not in replica.log
