"""Signing in again returns to what the person was doing: a session that ends on a
confirmation page (restore with ?backup_id=, delete), or a form sent after it, leads back to
that confirmation, with one message; signing out and choosing a language on the sign-in page
say nothing of a form not carried out."""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from backupsui.accounts.middleware import SEEN
from tests.conftest import PASSWORD
from tests.helpers import completed_backup, events, text

NOT_DONE = "You were signed out, so what you sent was not done."


def sign_in(client, next_page=""):
    data = {"username": "olivia", "password": PASSWORD, "next": next_page}
    return client.post("/accounts/login/", data)


def end_session(client):
    session = client.session
    session[SEEN] = time.time() - 31 * 60  # idle past BACKUPSUI_SESSION_IDLE_SECONDS
    session.save()


def messages_on(page: str) -> list[str]:
    return re.findall(r'<li class="msg msg-[a-z]+">(.*?)</li>', page)


def next_of(response) -> str:
    assert response.status_code == 302
    parts = urlsplit(response["Location"])
    assert parts.path == "/accounts/login/"
    return parse_qs(parts.query)["next"][0]


@pytest.fixture
def confirmations(sandbox):
    backup = completed_backup(sandbox)
    return {
        "restore": f"/servers/12345/restore/?backup_id={backup.id}",
        "delete": f"/backups/{backup.id}/delete/",
    }


@pytest.mark.parametrize("kind", ["restore", "delete"])
def test_it_comes_back_to_the_confirmation_after_the_session_ended_on_it(
    client, operator, confirmations, kind
):
    page = confirmations[kind]
    sign_in(client)
    assert client.get(page).status_code == 200
    end_session(client)
    back = next_of(client.get(page))
    assert back == page
    login_page = text(client.get(f"/accounts/login/?next={back}"))
    assert len(messages_on(login_page)) == 1
    landed = sign_in(client, back)
    assert landed["Location"] == page
    again = client.get(landed["Location"])
    assert again.status_code == 200 and f'action="{urlsplit(page).path}"' in text(again)
    assert messages_on(text(again)) == []


@pytest.mark.parametrize("kind", ["restore", "delete"])
def test_it_comes_back_to_the_confirmation_when_its_form_was_sent_after_the_end(
    client, operator, confirmations, kind
):
    page = confirmations[kind]
    sign_in(client)
    client.get(page)
    end_session(client)
    action = urlsplit(page).path
    form = {"backup_id": page.rsplit("=", 1)[-1], "confirm": "web-server-01"}
    sent = client.post(action, form, headers={"Referer": f"http://testserver{page}"})
    back = next_of(sent)
    assert back == page  # with its query string, not the form's bare address
    login_page = text(client.get(sent["Location"]))
    assert messages_on(login_page) == [NOT_DONE + " Sign in again."]
    landed = sign_in(client, back)
    assert landed["Location"] == page
    assert client.get(page).status_code == 200
    assert not events("restore_requested") and not events("backup_deleted")


def test_it_says_only_that_a_person_signed_out_is_signed_out(client, operator):
    sign_in(client)
    out = client.post("/accounts/logout/")
    page = text(client.get(out["Location"]))
    assert "You are signed out." in page
    assert NOT_DONE not in page and messages_on(page) == []


def test_it_shows_no_error_when_the_language_is_chosen_on_the_sign_in_page(client, operator):
    for chosen in ("sm", "en"):
        answer = client.post(
            "/account/language/", {"language": chosen, "next": "/accounts/login/?next=/servers/"}
        )
        assert answer["Location"] == "/accounts/login/?next=/servers/"
        page = text(client.get(answer["Location"]))
        assert messages_on(page) == [], chosen
    assert sign_in(client, "/servers/")["Location"] == "/servers/"
