"""Local accounts can be switched off (BACKUPSUI_LOCAL_SIGNIN=off) except for superusers, the
break-glass accounts, and then nobody else's password is read; with them on, the password and
its throttling are as before."""

import re

from axes.models import AccessAttempt

from tests.conftest import PASSWORD
from tests.helpers import FormClient, events, text


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


def errors_on(response) -> str:
    """The page without its one-time parts (the CSRF token, the scripts' nonce)."""
    page = re.sub(r'nonce="[^"]+"', "", text(response))
    return re.sub(r"[A-Za-z0-9]{64}", "", page)


def test_it_refuses_other_passwords_before_reading_them_with_one_answer(
    operator, admin_user, settings, counting
):
    """No oracle: right, wrong or no such account, a non-superuser gets the same page, and
    no password is hashed or counted."""
    settings.BACKUPSUI_LOCAL_SIGNIN = False
    answers = [
        sign_in("olivia", PASSWORD)[1],
        sign_in("olivia", "wrong password")[1],
        sign_in("OLIVIA", "wrong password")[1],
        sign_in("nobody-here", "wrong password")[1],
    ]
    assert {answer.status_code for answer in answers} == {200}
    pages = {
        errors_on(answer).replace("OLIVIA", "olivia").replace("nobody-here", "olivia")
        for answer in answers
    }
    assert len(pages) == 1
    assert "Signing in with a password is switched off here" in text(answers[0])
    assert counting.hashed == 0
    assert not AccessAttempt.objects.exists() and not events("sign_in_failed")
    # A superuser's password is still checked (and counted when wrong).
    admin_user.set_password(PASSWORD)
    admin_user.save()
    counting.hashed = 0
    assert sign_in(admin_user.username, "wrong password")[1].status_code == 200
    assert counting.hashed > 0 and AccessAttempt.objects.count() == 1
    assert sign_in(admin_user.username.upper(), PASSWORD)[1].status_code == 302
