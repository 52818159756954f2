"""Who may do what: anonymous users sign in first, roles decide the rest, the server enforces."""

import pytest

from tests.helpers import FormClient, completed_backup, events, text

ROUTES = [
    ("get", "/backups/"),
    ("get", "/backups/poll/"),
    ("get", "/backups/new/"),
    ("post", "/backups/new/"),
    ("get", "/backups/1/delete/"),
    ("post", "/backups/1/delete/"),
    ("get", "/servers/1/restore/?backup_id=1"),
    ("post", "/servers/1/restore/"),
    ("get", "/account/token/"),
    ("post", "/account/token/"),
    ("post", "/account/token/remove/"),
    ("get", "/audit/"),
    ("get", "/audit/export.csv"),
]


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_it_sends_anonymous_users_to_sign_in(client, db, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_it_serves_the_sign_in_page_and_signs_out_with_post_only(client, operator):
    assert client.get("/accounts/login/").status_code == 200
    response = client.post(
        "/accounts/login/", {"username": "olivia", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/backups/").status_code == 302


def test_it_does_not_offer_delete_to_support_and_refuses_it(sandbox, support_client):
    body = text(support_client.get("/backups/"))
    assert "Restore</a>" in body and ">Delete</a>" not in body
    backup_id = next(iter(sandbox.state.backups))
    assert support_client.get(f"/backups/{backup_id}/delete/").status_code == 403
    response = support_client.post(f"/backups/{backup_id}/delete/")
    assert response.status_code == 403
    assert backup_id in sandbox.state.backups
    denied = events("permission_denied")
    assert len(denied) == 2 and denied[0].backup_id == backup_id
    assert denied[0].actor_username == "sam"


def test_it_offers_everything_to_operators(sandbox, operator_client):
    body = text(operator_client.get("/backups/?server_id=12345"))
    assert ">Delete</a>" in body and "Restore</a>" in body and "Back up now" in body


@pytest.mark.parametrize(
    ("method", "url"), [r for r in ROUTES if not r[1].startswith(("/account/", "/audit/"))]
)
def test_it_refuses_every_backups_action_to_a_user_without_a_role(
    sandbox, client, outsider, method, url
):
    client.force_login(outsider)
    assert getattr(client, method)(url).status_code == 403


def test_it_lets_support_create_and_restore(sandbox, support_client):
    assert support_client.post("/backups/new/", {"server_id": 12345}).status_code == 302
    backup = completed_backup(sandbox)
    response = support_client.post(
        "/servers/12345/restore/", {"backup_id": backup.id, "confirm": "web-server-01"}
    )
    assert response.status_code == 302


def test_it_never_shows_one_accounts_backups_to_another(sandbox, outsider, operator):
    from django.contrib.auth.models import Group

    outsider.groups.add(Group.objects.get(name="Support"))
    them, us = FormClient(), FormClient()
    them.force_login(outsider)
    us.force_login(operator)
    theirs = text(them.get("/backups/"))
    ours = text(us.get("/backups/"))
    globex_ids = {b.id for b in sandbox.state.backups.values() if b.server.account == "globex"}
    assert all(f'id="backup-{i}"' not in ours for i in globex_ids)
    assert any(f'id="backup-{i}"' in theirs for i in globex_ids)
