"""Sessions: a new key at sign-in, idle and absolute time-outs, real sign-out, deactivation."""

import time

import pytest
from django.contrib.sessions.backends.db import SessionStore

from backupsui.accounts.middleware import SEEN, STARTED
from backupsui.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.helpers import events, text


def sign_in(client, username="olivia", password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def session_key(client):
    from django.conf import settings

    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_it_gives_a_new_session_key_at_sign_in(client, operator):
    session = client.session
    session["before"] = True
    session.save()
    before = session.session_key
    assert sign_in(client).status_code == 302
    assert session_key(client) != before
    assert not SessionStore(before).exists(before)


def test_it_ends_the_session_on_the_server_at_sign_out(client, operator):
    sign_in(client)
    key = session_key(client)
    client.post("/accounts/logout/")
    assert not SessionStore(key).exists(key)


@pytest.mark.parametrize(("mark", "age"), [(SEEN, 31 * 60), (STARTED, 13 * 3600)])
def test_it_ends_an_idle_or_old_session(client, operator, mark, age):
    sign_in(client)
    assert client.get("/account/token/").status_code == 200
    session = client.session
    session[mark] = time.time() - age
    session.save()
    response = client.get("/account/token/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/account/token/").status_code == 302


def test_it_keeps_an_active_session(client, operator):
    sign_in(client)
    session = client.session
    session[SEEN] = time.time() - 10 * 60
    session.save()
    assert client.get("/account/token/").status_code == 200
    assert client.session[SEEN] > time.time() - 5


def test_it_locks_out_a_deactivated_user_on_the_next_request(client, operator):
    sign_in(client)
    operator.is_active = False
    operator.save()
    assert client.get("/account/token/").status_code == 302


def test_it_locks_out_repeated_failures_and_audits_them(client, operator, settings):
    address = {"REMOTE_ADDR": "198.51.100.7"}
    statuses = [
        sign_in(client, password="wrong", **address).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = sign_in(client, **address)  # even the right password
    assert locked.status_code == 429
    assert "Too many attempts" in text(locked)
    failures = events("sign_in_failed")
    assert len(failures) >= settings.AXES_FAILURE_LIMIT
    assert {e.remote_addr for e in failures} == {"198.51.100.7"}
    assert any("Locked out" in e.message for e in failures)
    assert not AuditEvent.objects.filter(action="sign_in").exists()
    # Another address is not locked out.
    assert sign_in(client, REMOTE_ADDR="198.51.100.8").status_code == 302
