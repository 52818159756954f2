"""Local accounts can be switched off (BACKUPSUI_LOCAL_SIGNIN=off) except for superusers, the
break-glass accounts; with them on, the password and its throttling are as before."""

from tests.conftest import PASSWORD
from tests.helpers import FormClient, text


def sign_in(username, password=PASSWORD):
    client = FormClient()
    return client, client.post("/accounts/login/", {"username": username, "password": password})


def test_it_keeps_passwords_for_superusers_only_when_local_sign_in_is_off(
    operator, admin_user, settings
):
    settings.BACKUPSUI_LOCAL_SIGNIN = False
    client, refused = sign_in("olivia")
    assert refused.status_code == 200
    assert "Signing in with a password is switched off here" in text(refused)
    assert "_auth_user_id" not in client.session
    admin_user.set_password(PASSWORD)
    admin_user.save()
    _client, allowed = sign_in(admin_user.username)
    assert allowed.status_code == 302


def test_it_signs_in_with_a_password_when_local_sign_in_is_on(operator):
    _client, signed_in = sign_in("olivia")
    assert signed_in["Location"] == "/backups/"
