"""The token page: checked before it is saved, shown only by its last four characters."""

from backupsui.accounts.models import ApiToken
from tests.conftest import OPERATOR_TOKEN, SUPPORT_TOKEN, make_user
from tests.helpers import body_of, events, text


def test_it_checks_and_saves_a_token_then_shows_only_its_last_four(
    sandbox, client, django_user_model
):
    user = make_user(django_user_model, "nina", "Support")
    client.force_login(user)
    response = client.post("/account/token/", {"token": SUPPORT_TOKEN})
    assert response.status_code == 302 and response["Location"] == "/backups/"
    stored = ApiToken.objects.get(user=user)
    assert stored.reveal() == SUPPORT_TOKEN and stored.last_accepted_at is not None
    page = text(client.get("/account/token/"))
    assert SUPPORT_TOKEN not in page and f"…{SUPPORT_TOKEN[-4:]}" in page
    assert "Last accepted" in page
    assert events("token_set")[0].outcome == "accepted"


def test_it_does_not_save_a_refused_token_and_says_why(sandbox, client, django_user_model):
    user = make_user(django_user_model, "nina", "Support")
    client.force_login(user)
    response = client.post("/account/token/", {"token": "definitely-wrong-token"})
    assert response.status_code == 400
    assert "refused this token" in text(response)
    assert "definitely-wrong-token" not in text(response)
    assert not ApiToken.objects.filter(user=user).exists()
    assert events("token_set")[0].outcome == "refused"


def test_it_rejects_something_that_is_not_a_token(sandbox, client, django_user_model):
    client.force_login(make_user(django_user_model, "nina"))
    for bad in ("", "short", "two words here", "tab\there1234", "Ｓｅｒｖｅｒ12345", "é" * 20):
        assert client.post("/account/token/", {"token": bad}).status_code == 400
    assert not ApiToken.objects.exists()


def test_it_follows_next_only_within_the_panel(sandbox, client, django_user_model):
    client.force_login(make_user(django_user_model, "nina"))
    good = client.post(
        "/account/token/", {"token": SUPPORT_TOKEN, "next": "/backups/?server_id=12345"}
    )
    assert good["Location"] == "/backups/?server_id=12345"
    evil = client.post("/account/token/", {"token": SUPPORT_TOKEN, "next": "https://evil.example/"})
    assert evil["Location"] == "/backups/"


def test_it_removes_a_token_after_asking(operator_client, operator):
    asked = operator_client.get("/account/token/remove/")
    assert asked.status_code == 200 and "Remove your API token" in text(asked)
    assert ApiToken.objects.filter(user=operator).exists()
    response = operator_client.post("/account/token/remove/")
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=operator).exists()
    assert events("token_removed")[0].actor_username == "olivia"
    assert operator_client.get("/account/token/remove/")["Location"] == "/account/token/"


def test_it_never_puts_the_token_in_any_page(sandbox, operator_client):
    pages = [
        "/backups/",
        "/backups/new/",
        "/account/token/",
        "/audit/",
        "/audit/export.csv",
        "/backups/?server_id=12345",
        "/servers/12345/restore/?backup_id=1",
    ]
    for url in pages:
        response = operator_client.get(url)
        assert OPERATOR_TOKEN not in body_of(response), url
        assert OPERATOR_TOKEN not in str(response.headers), url
