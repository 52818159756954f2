"""Create, delete and restore through the views, against the sandbox and odd upstreams."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import responses
from django.test import override_settings

from backupsui.audit.models import Outcome
from tests.helpers import completed_backup, events, row_ids, text

API = "http://backups.test/api/v1"


# Create ------------------------------------------------------------------------------------


def test_it_creates_a_backup_that_appears_first_with_its_message(sandbox, operator_client):
    response = operator_client.post(
        "/backups/new/", {"server_id": 12345, "description": "Pre-deployment"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/backups/?server_id=12345"
    page = operator_client.get(response["Location"])
    body = text(page)
    newest = max(sandbox.state.backups)
    assert row_ids(page)[0] == newest
    assert f"Backup {newest} of <bdi>web-server-01</bdi> was requested at" in body
    assert "In progress" in body
    assert sandbox.state.backups[newest].description == "Pre-deployment"


def test_it_does_what_a_form_asks_once_however_often_it_is_sent(sandbox, operator_client):
    form = text(operator_client.get("/backups/new/?server_id=12345"))
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form)[1]
    before = len(sandbox.state.backups)
    sent = {"server_id": 12345, "description": "twice", "idempotency_key": key}
    first = operator_client.post("/backups/new/", sent)
    again = operator_client.post("/backups/new/", sent)
    assert first.status_code == again.status_code == 302
    assert len(sandbox.state.backups) == before + 1
    [event] = events("backup_requested")
    shown = text(operator_client.get(again["Location"]))
    assert "already sent (Backup requested: Accepted)" in shown
    assert f'href="/audit/?event={event.pk}"' in shown
    # The same words in a new form are a new request: the panel asks, since one is running.
    sent = {"server_id": 12345, "description": "twice", "ask": "running"}
    asked = operator_client.post("/backups/new/", sent)
    assert asked.status_code == 409 and "is running already" in text(asked)
    assert 'name="again" value="on"' in text(asked)
    assert len(sandbox.state.backups) == before + 1
    sent = {"server_id": 12345, "description": "twice", "again": "on"}
    assert operator_client.post("/backups/new/", sent).status_code == 302
    assert len(sandbox.state.backups) == before + 2


@pytest.mark.parametrize("key", [None, "", "forged", "WzEsICJ4Il0:1tX:bad"])
def test_it_changes_nothing_without_a_valid_key_and_shows_the_form_again(
    sandbox, operator_client, key
):
    before = len(sandbox.state.backups)
    data = {"server_id": 12345} if key is None else {"server_id": 12345, "idempotency_key": key}
    response = operator_client.post("/backups/new/", data, fresh_key=False)
    assert response.status_code == 400
    assert "nothing was changed" in text(response) and 'name="idempotency_key" value="' in text(
        response
    )
    assert len(sandbox.state.backups) == before and not events("backup_requested")


def test_it_refuses_a_key_issued_to_someone_else(sandbox, operator_client, support):
    from backupsui.backups.models import FormKey

    theirs = FormKey.issue(support, "create")
    response = operator_client.post(
        "/backups/new/", {"server_id": 12345, "idempotency_key": theirs}
    )
    assert response.status_code == 400 and not events("backup_requested")


def test_it_deletes_and_restores_once_per_form(sandbox, operator_client):
    from backupsui.backups.models import FormKey

    backup, other = [b for b in sandbox.state.backups.values() if b.server.id == 12345][:2]
    user = operator_client.session["_auth_user_id"]
    key = FormKey.issue(type("U", (), {"pk": int(user)}), "delete")
    for _ in range(2):
        operator_client.post(f"/backups/{backup.id}/delete/", {"idempotency_key": key})
    assert len(events("backup_deleted")) == 1
    key = FormKey.issue(type("U", (), {"pk": int(user)}), "restore")
    sent = {"backup_id": other.id, "confirm": "web-server-01", "idempotency_key": key}
    statuses = [operator_client.post("/servers/12345/restore/", sent).status_code for _ in "ab"]
    assert statuses == [302, 302] and len(events("restore_requested")) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"server_id": ""}, "This field is required"),
        ({"server_id": "abc"}, "None of your servers is named abc"),
        ({"server_id": "12a"}, "None of your servers is named 12a"),
        ({"server_id": "-5"}, "greater than or equal to 1"),
        ({"server_id": "0"}, "greater than or equal to 1"),
        ({"server_id": "12345", "description": "x" * 256}, "at most 255 characters"),
    ],
)
def test_it_checks_the_form_before_asking_upstream(sandbox, operator_client, data, message):
    before = len(sandbox.state.backups)
    response = operator_client.post("/backups/new/", data)
    assert response.status_code == 400 and message in text(response)
    assert len(sandbox.state.backups) == before and not events("backup_requested")


def test_it_shows_a_404_for_an_unknown_server_beside_the_form(sandbox, operator_client):
    response = operator_client.post("/backups/new/", {"server_id": 424242})
    assert response.status_code == 404
    assert "Server not found" in text(response)
    assert events("backup_requested")[0].outcome == Outcome.REFUSED


@override_settings(BACKUPS_API_URL=API)
@responses.activate
def test_it_shows_upstream_field_errors_beside_their_fields(operator_client):
    responses.post(API + "/backups/", status=400, json={"description": ["No emoji please."]})
    response = operator_client.post("/backups/new/", {"server_id": 1, "description": "🙂"})
    body = text(response)
    assert response.status_code == 400
    assert re.search(r'id="id_description-error">No emoji please\.', body)


@override_settings(BACKUPS_API_URL=API)
@responses.activate
def test_it_says_the_outcome_is_unknown_when_a_create_may_have_happened(operator_client):
    responses.post(API + "/backups/", status=504, body=b"<html>timeout</html>")
    response = operator_client.post("/backups/new/", {"server_id": 1})
    assert response.status_code == 502
    assert "outcome is unknown" in text(response)
    assert events("backup_requested")[0].outcome == Outcome.UNKNOWN


@override_settings(BACKUPS_API_URL=API)
@responses.activate
def test_it_sends_a_refused_token_to_the_token_page_from_create(operator_client):
    responses.post(API + "/backups/", status=401, body=b"")
    response = operator_client.post("/backups/new/", {"server_id": 1})
    assert "Your API token was refused" in text(response)
    assert 'href="/account/token/"' in text(response)


# Delete ------------------------------------------------------------------------------------


def test_it_confirms_then_deletes(sandbox, operator_client):
    backup = completed_backup(sandbox)
    url = f"/backups/{backup.id}/delete/?server_id=12345"
    confirm = operator_client.get(url)
    body = text(confirm)
    assert confirm.status_code == 200
    assert "cannot be undone" in body and "web-server-01" in body
    assert backup.created_at.strftime("%Y-%m-%d") in body
    assert backup.id in sandbox.state.backups
    response = operator_client.post(url, {"server_id": 12345})
    assert response.status_code == 302
    assert backup.id not in sandbox.state.backups
    assert backup.id not in row_ids(operator_client.get(response["Location"]))


def test_it_refuses_to_delete_a_backup_in_progress(sandbox, operator_client):
    sandbox.state.config.completion_delay = 600
    created = sandbox.state.create_backup("acme", 12345, "running")
    response = operator_client.post(f"/backups/{created['id']}/delete/", {"server_id": 12345})
    assert response.status_code == 409 and "still in progress" in text(response)
    assert created["id"] in sandbox.state.backups
    assert not events("backup_deleted")


def test_it_answers_404_for_a_backup_it_cannot_see(sandbox, operator_client):
    globex = next(b for b in sandbox.state.backups.values() if b.server.account == "globex")
    assert operator_client.get(f"/backups/{globex.id}/delete/").status_code == 404
    assert operator_client.post(f"/backups/{globex.id}/delete/").status_code == 404
    assert globex.id in sandbox.state.backups


def test_it_reports_a_backup_deleted_meanwhile(sandbox, operator_client):
    backup = completed_backup(sandbox)
    operator_client.get(f"/backups/{backup.id}/delete/?server_id=12345")
    sandbox.state.delete_backup("acme", backup.id)  # someone else, elsewhere
    response = operator_client.post(f"/backups/{backup.id}/delete/", {"server_id": 12345})
    assert response.status_code == 404
    assert "Backup not found" in text(response)
    assert events("backup_deleted")[0].outcome == Outcome.REFUSED


# Restore -----------------------------------------------------------------------------------


def test_it_confirms_a_restore_with_the_servers_name(sandbox, operator_client):
    backup = completed_backup(sandbox)
    url = f"/servers/12345/restore/?backup_id={backup.id}"
    body = text(operator_client.get(url))
    assert "will be replaced by backup" in body and "web-server-01" in body
    assert backup.created_at.strftime("%Y-%m-%d %H:%M") in body
    response = operator_client.post(
        "/servers/12345/restore/", {"backup_id": backup.id, "confirm": "web-server-01"}
    )
    assert response.status_code == 302
    assert sandbox.state.servers[12345].status == "restoring"
    event = events("restore_requested")[0]
    followed = text(operator_client.get(response["Location"]))
    assert (
        "was sent at" in followed
        and "and accepted" in followed
        and f'href="/audit/?event={event.pk}"' in followed
    )


@pytest.mark.parametrize("typed", ["", "web-server-02", "WEB-SERVER-01", "web-server-0"])
def test_it_refuses_a_wrong_name(sandbox, operator_client, typed):
    backup = completed_backup(sandbox)
    response = operator_client.post(
        "/servers/12345/restore/", {"backup_id": backup.id, "confirm": typed}
    )
    assert response.status_code == 400
    assert sandbox.state.servers[12345].status == "active"
    assert not events("restore_requested")


def test_it_answers_404_for_a_backup_of_another_server(sandbox, operator_client):
    other = completed_backup(sandbox, 12346)
    response = operator_client.get(f"/servers/12345/restore/?backup_id={other.id}")
    assert response.status_code == 404
    # No backup named (an address cut short): the server's list, to choose one from.
    cut_short = operator_client.get("/servers/12345/restore/")
    assert cut_short.status_code == 302 and cut_short.url == "/backups/?server_id=12345"


def test_it_shows_the_upstreams_reason_for_a_refused_restore(sandbox, operator_client):
    backup = completed_backup(sandbox)
    operator_client.get(f"/servers/12345/restore/?backup_id={backup.id}")
    backup.completes_at = datetime.now(UTC) + timedelta(hours=1)  # not completed, upstream says
    response = operator_client.post(
        "/servers/12345/restore/", {"backup_id": backup.id, "confirm": "web-server-01"}
    )
    assert response.status_code == 400
    assert "not completed yet" in text(response)
    assert events("restore_requested")[0].outcome == Outcome.REFUSED


def test_it_suggests_the_servers_already_seen_on_the_create_form(sandbox, operator_client):
    operator_client.get("/backups/")
    body = text(operator_client.get("/backups/new/?server_id=12346"))
    # Searchable by name, with the id beside it; the chosen server shows by name at once.
    assert '<option value="web-server-01 (#12345)"></option>' in body
    assert 'list="known-servers"' in body and 'value="db-server-02 (#12346)"' in body
    chosen = {"server_id": "db-server-02 (#12346)", "description": "chosen by name"}
    made = operator_client.post("/backups/new/", chosen)
    assert made["Location"] == "/backups/?server_id=12346"
    assert max(sandbox.state.backups.values(), key=lambda b: b.id).server.id == 12346


# Only a completed backup restores a server ------------------------------------------------


def test_it_neither_offers_nor_accepts_a_restore_from_a_failed_backup(sandbox, operator_client):
    backup = completed_backup(sandbox)
    sandbox.state.fail_backup(backup.id)
    listed = text(operator_client.get("/backups/?server_id=12345"))
    row = listed.split(f'id="backup-{backup.id}"', 1)[1].split("</tr>", 1)[0]
    assert "Restore" not in row and ">Delete</a>" in row
    url = f"/servers/12345/restore/?backup_id={backup.id}"
    confirm = text(operator_client.get(url))
    assert "Failed" in confirm and "Only a completed backup can restore a server" in confirm
    assert 'name="confirm"' not in confirm
    response = operator_client.post(
        "/servers/12345/restore/", {"backup_id": backup.id, "confirm": "web-server-01"}
    )
    assert response.status_code == 409
    assert sandbox.state.servers[12345].status == "active"
    assert not events("restore_requested")
    # A failed backup can still be deleted.
    assert operator_client.post(f"/backups/{backup.id}/delete/").status_code == 302
    assert backup.id not in sandbox.state.backups


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("Fale ʻUpolu", "Fale 'Upolu"),
        ("Fale ʻUpolu", "Fale ’Upolu"),
        ("Fale ʻUpolu", "  Fale ʻUpolu  "),
        ("  padded name ", "padded name"),
        ("café", "cafe\u0301"),  # the same letter, typed decomposed
        ("o`brien", "o'brien"),
    ],
)
def test_it_accepts_the_name_as_people_can_type_it(sandbox, operator_client, name, typed):
    sandbox.state.servers[12345].name = name
    backup = completed_backup(sandbox)
    page = text(operator_client.get(f"/servers/12345/restore/?backup_id={backup.id}"))
    assert '<code class="copy">' in page
    response = operator_client.post(
        "/servers/12345/restore/", {"backup_id": backup.id, "confirm": typed}
    )
    assert response.status_code == 302
    assert sandbox.state.servers[12345].status == "restoring"


def test_it_still_refuses_a_name_that_differs_in_more_than_marks(sandbox, operator_client):
    sandbox.state.servers[12345].name = "Fale ʻUpolu"
    backup = completed_backup(sandbox)
    response = operator_client.post(
        "/servers/12345/restore/", {"backup_id": backup.id, "confirm": "Fale Upolu"}
    )
    assert response.status_code == 400
    assert sandbox.state.servers[12345].status == "active"


def test_it_refuses_a_key_issued_for_another_kind_of_change(sandbox, operator_client, operator):
    from backupsui.backups.models import FormKey

    backup = completed_backup(sandbox)
    for_a_backup = FormKey.issue(operator, "create")
    response = operator_client.post(
        f"/backups/{backup.id}/delete/", {"idempotency_key": for_a_backup}
    )
    assert response.status_code == 400 and backup.id in sandbox.state.backups


def test_it_says_so_when_an_older_tab_deletes_a_deleted_backup(sandbox, operator_client):
    backup = completed_backup(sandbox)
    url = f"/backups/{backup.id}/delete/"
    operator_client.get(url)  # the first tab
    operator_client.get(url)  # the second tab
    assert operator_client.post(url).status_code == 302
    again = operator_client.post(url)
    assert again.status_code == 404
    assert "not in the list (any more)" in text(again) and "Nothing was sent" in text(again)
    assert len(events("backup_deleted")) == 1


# The restore confirmation warns as much on every answer ------------------------------------


def oldest_completed(sandbox, server_id=12345):
    """The server's oldest automatic backup: weeks old, with newer completed ones after it."""
    theirs = [
        b
        for b in sandbox.state.backups.values()
        if b.server.id == server_id and b.backup_type == "automatic"
    ]
    return min(theirs, key=lambda b: b.created_at)


def warnings_of(page: str) -> dict:
    """What a restore confirmation says of the backup's place among the server's backups."""
    return {
        "age": re.search(r'<p class="restore-age">This backup was taken ([^<]+)\.</p>', page),
        "newer": 'class="warning restore-newer"' in page,
        "safety": re.search(r'<input type="checkbox" name="safety"[^>]*>', page),
    }


def test_it_warns_as_much_on_a_refused_confirmation_as_on_the_first(sandbox, operator_client):
    old = oldest_completed(sandbox)
    first = text(operator_client.get(f"/servers/12345/restore/?backup_id={old.id}"))
    shown = warnings_of(first)
    assert shown["age"] and "weeks ago" in shown["age"][1] and shown["newer"]
    wrong = operator_client.post(
        "/servers/12345/restore/", {"backup_id": old.id, "confirm": "web-server-02", "safety": "on"}
    )
    assert wrong.status_code == 400
    again = warnings_of(text(wrong))
    assert again["age"] and again["age"][1] == shown["age"][1]
    assert again["newer"]
    assert "checked" in again["safety"][0]  # the choice the person sent, kept
    without = operator_client.post(
        "/servers/12345/restore/", {"backup_id": old.id, "confirm": "nope"}
    )
    assert "checked" not in warnings_of(text(without))["safety"][0]
    assert sandbox.state.servers[12345].status == "active"


def test_it_warns_as_much_when_another_restore_answers_409(sandbox, operator_client):
    from backupsui.audit.models import Action
    from backupsui.audit.recorder import note

    old = oldest_completed(sandbox)
    note(
        None,
        Action.RESTORE_REQUESTED,
        Outcome.ACCEPTED,
        actor_username="sam",
        server_id=12345,
        server_name="web-server-01",
    )
    busy = operator_client.post(
        "/servers/12345/restore/", {"backup_id": old.id, "confirm": "web-server-01"}
    )
    assert busy.status_code == 409
    page = text(busy)
    assert "being restored already" in page
    shown = warnings_of(page)
    assert shown["age"] and shown["newer"]


def test_it_warns_as_much_after_the_person_confirmed_who_they_are(sandbox, operator, settings):
    from tests.accounts.test_second_factors import age_confirmations, sign_in
    from tests.conftest import PASSWORD
    from tests.helpers import FormClient

    client = FormClient()
    sign_in(client)
    old = oldest_completed(sandbox)
    age_confirmations(client, settings.BACKUPSUI_REAUTH_MINUTES + 1)
    sent = {"backup_id": old.id, "confirm": "web-server-0", "safety": "on"}
    asked = client.post("/servers/12345/restore/", sent)
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    done = client.post(
        "/accounts/reauthenticate/", {"password": PASSWORD, "next": "/servers/12345/restore/"}
    )
    assert done.status_code == 400  # the very form, carried out: the name was wrong
    shown = warnings_of(text(done))
    assert shown["age"] and shown["newer"] and "checked" in shown["safety"][0]


# The New backup form takes a name ---------------------------------------------------------


def test_it_backs_up_a_server_typed_by_its_name(sandbox, operator_client):
    made = operator_client.post(
        "/backups/new/", {"server_id": "  DB-Server-02 ", "description": "typed by name"}
    )
    assert made.status_code == 302 and made["Location"] == "/backups/?server_id=12346"
    newest = sandbox.state.backups[max(sandbox.state.backups)]
    assert newest.server.id == 12346 and newest.description == "typed by name"


def test_it_lists_the_servers_a_typed_name_matches_to_choose_one(sandbox, operator_client):
    before = len(sandbox.state.backups)
    asked = operator_client.post("/backups/new/", {"server_id": "server-0", "description": "d"})
    assert asked.status_code == 400
    page = text(asked)
    assert "3 servers are named or hold server-0 in their names: choose one below." in page
    picks = re.findall(r'<button type="submit" name="pick" value="(\d+)">(.*?)</button>', page)
    assert [sid for sid, _shown in picks] == ["12347", "12346", "12345"]  # by name
    assert "<bdi>cache-server-03</bdi>" in picks[0][1]
    assert 'name="description" value="d"' in page
    assert len(sandbox.state.backups) == before and not events("backup_requested")
    chosen = {"server_id": "server-0", "pick": "12347", "description": "d"}
    made = operator_client.post("/backups/new/", chosen)
    assert made["Location"] == "/backups/?server_id=12347"
    assert sandbox.state.backups[max(sandbox.state.backups)].server.id == 12347
    one = text(operator_client.post("/backups/new/", {"server_id": "cache"}))
    assert "1 server is named or holds cache in its name: choose it below." in one
