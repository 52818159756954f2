"""Sessions: a new key at sign-in, idle and absolute time-outs, real sign-out, deactivation."""

import time
from urllib.parse import urlencode

import pytest
from django.contrib.sessions.backends.db import SessionStore

from backupsui.accounts.middleware import SEEN, STARTED
from backupsui.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.helpers import events, text


def sign_in(client, username="olivia", password=PASSWORD, next=None, **extra):
    data = {"username": username, "password": password}
    if next:
        data["next"] = next
    return client.post("/accounts/login/", data, **extra)


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


# An htmx request whose sign-in has ended ----------------------------------------------------

PAGE = "/backups/?backup_type=manual&q=Pre"


def htmx_from(page: str, target: str = "results") -> dict:
    return {
        "HX-Request": "true",
        "HX-Target": target,
        "HX-Current-URL": f"http://testserver{page}",
    }


@pytest.mark.parametrize("url", ["/backups/poll/?watch=12345:1", "/backups/?backup_type=manual"])
def test_it_sends_the_whole_page_to_sign_in_and_back_when_the_session_is_gone(
    sandbox, client, operator, url
):
    sign_in(client)
    client.cookies.clear()  # the session ended elsewhere (signed out in another tab, say)
    response = client.get(url, headers=htmx_from(PAGE))
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?" + urlencode({"next": PAGE})
    assert "<form" not in text(response)
    landed = sign_in(client, next=PAGE)
    assert landed["Location"] == PAGE


def test_it_sends_an_idle_polling_page_to_sign_in_and_back(sandbox, client, operator):
    sign_in(client)
    session = client.session
    session[SEEN] = time.time() - 31 * 60
    session.save()
    response = client.get("/backups/poll/?watch=12345:1", headers=htmx_from(PAGE, "poller"))
    assert response["HX-Redirect"] == "/accounts/login/?" + urlencode({"next": PAGE})


def test_it_never_comes_back_to_a_fragment_or_to_sign_in_itself(client, operator):
    landed = sign_in(client, next="/backups/poll/?watch=12345:1")
    assert landed["Location"] == "/backups/"
    # Signed in already, and sent to sign in again: Django would loop (a 500).
    again = client.get("/accounts/login/?next=/accounts/login/")
    assert again.status_code == 302 and again["Location"] == "/backups/"


def test_it_keeps_signed_in_pages_and_exports_out_of_every_cache(sandbox, client, operator):
    sign_in(client)
    for url in ("/backups/", "/audit/", "/audit/export.csv", "/account/token/"):
        assert "no-store" in client.get(url)["Cache-Control"], url


def test_it_says_a_form_sent_after_signing_out_was_not_carried_out(sandbox, client, operator):
    sign_in(client)
    client.post("/accounts/logout/")
    response = client.post("/backups/new/", {"server_id": 12345})
    assert response["Location"].startswith("/accounts/login/")
    page = text(client.get(response["Location"]))
    assert "You were signed out, so what you sent was not done." in page
    assert "You are signed out." in text(client.get("/accounts/login/?signed_out=1"))
