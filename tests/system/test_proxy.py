"""Behind the TLS proxy: the client's address and the request id from a trusted proxy only, a
lock-out of one client only, and no flood of audit rows from a locked username."""

import ipaddress

import pytest

from backupsui.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.helpers import FormClient, events

PROXY = "10.0.0.5"
X, Y = "198.51.100.7", "198.51.100.8"


@pytest.fixture
def behind_proxy(settings):
    settings.BACKUPSUI_TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/24")]


def through_proxy(client_address, forged=""):
    chain = f"{forged}, {client_address}" if forged else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": chain}


def sign_in(client, password, **meta):
    return client.post("/accounts/login/", {"username": "olivia", "password": password}, **meta)


def test_it_locks_out_only_the_client_behind_the_proxy(behind_proxy, operator, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(FormClient(), "wrong", **through_proxy(X))
    assert sign_in(FormClient(), PASSWORD, **through_proxy(X)).status_code == 429
    assert sign_in(FormClient(), PASSWORD, **through_proxy(Y)).status_code == 302
    assert {e.remote_addr for e in events("sign_in_failed")} == {X}
    assert events("sign_in")[0].remote_addr == Y


def test_it_takes_the_rightmost_address_the_proxy_did_not_add(behind_proxy, operator):
    sign_in(FormClient(), "wrong", **through_proxy(X, forged="203.0.113.66"))
    sign_in(FormClient(), "wrong", HTTP_X_FORWARDED_FOR=f"{X}, 10.0.0.9", REMOTE_ADDR=PROXY)
    assert [e.remote_addr for e in events("sign_in_failed")] == [X, X]


def test_it_ignores_forwarded_headers_from_anyone_else(behind_proxy, operator, client):
    meta = {"REMOTE_ADDR": Y, "HTTP_X_FORWARDED_FOR": X, "HTTP_X_FORWARDED_PROTO": "https"}
    sign_in(FormClient(), "wrong", **meta)
    assert events("sign_in_failed")[0].remote_addr == Y
    client.force_login(operator)
    response = client.get("/account/token/", **meta)
    assert response.wsgi_request.is_secure() is False
    trusted = client.get("/account/token/", **through_proxy(X), HTTP_X_FORWARDED_PROTO="https")
    assert trusted.wsgi_request.is_secure() is True


def test_it_believes_no_forwarded_header_when_no_proxy_is_trusted(operator):
    sign_in(FormClient(), "wrong", **through_proxy(X))
    assert events("sign_in_failed")[0].remote_addr == PROXY


def test_it_adds_nothing_for_attempts_against_a_locked_username(operator, settings, monkeypatch):
    from django.contrib.auth.hashers import MD5PasswordHasher

    client = FormClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong", REMOTE_ADDR=X)
    hashed = []
    monkeypatch.setattr(MD5PasswordHasher, "verify", lambda *args: hashed.append(1) or False)
    before = AuditEvent.objects.count()
    for _ in range(100):
        assert sign_in(client, "wrong", REMOTE_ADDR=X).status_code == 429
    assert AuditEvent.objects.count() - before <= 2
    assert hashed == []  # refused before any password is checked
    assert sum("Locked out" in e.message for e in events("sign_in_failed")) == 1


def test_it_refuses_a_malformed_proxy_list_at_start(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from backupsui.env import env_networks

    monkeypatch.setenv("X_PROXIES", "10.0.0.1, 192.168.0.0/24, fd00::/8")
    assert [str(n) for n in env_networks("X_PROXIES")] == [
        "10.0.0.1/32",
        "192.168.0.0/24",
        "fd00::/8",
    ]
    monkeypatch.setenv("X_PROXIES", "10.0.0.1, proxy.example")
    with pytest.raises(ImproperlyConfigured, match="X_PROXIES"):
        env_networks("X_PROXIES")


def test_it_takes_the_request_id_from_the_trusted_proxy_only(behind_proxy, operator, written):
    proxied = "3f2a9c0e5b7d4e1fa2c3b4d5e6f70812"
    sign_in(FormClient(), "wrong", **through_proxy(X), HTTP_X_REQUEST_ID=proxied)
    answered = FormClient().get("/healthz", **through_proxy(X), HTTP_X_REQUEST_ID=proxied)
    assert answered["X-Request-ID"] == proxied
    assert events("sign_in_failed")[0].request_id == proxied
    assert (
        FormClient().get("/nowhere", **through_proxy(X), HTTP_X_REQUEST_ID=proxied).status_code
        == 404
    )
    [line] = [line for line in written() if line["logger"] == "django.request"]
    assert (line["message"], line["request_id"]) == ("Not Found: /nowhere", proxied)
    # From anyone else, or not an id at all: the panel makes its own.
    for meta in (
        {"REMOTE_ADDR": Y, "HTTP_X_REQUEST_ID": proxied},
        {**through_proxy(X), "HTTP_X_REQUEST_ID": "two words"},
        {**through_proxy(X), "HTTP_X_REQUEST_ID": "x" * 65},
    ):
        own = FormClient().get("/healthz", **meta)["X-Request-ID"]
        assert own != meta["HTTP_X_REQUEST_ID"] and len(own) == 32, meta
