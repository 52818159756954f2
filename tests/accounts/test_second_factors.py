"""Second factors: an authenticator app added with a code from its key, asked for at sign-in;
recovery codes shown once and each taken once; the roles that must have a second factor sent
to add one before any change, and back; a change after BACKUPSUI_REAUTH_MINUTES confirmed
again and then carried out, once."""

import time

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP

from backupsui.accounts.identity import CONFIRMED_AT
from tests.conftest import PASSWORD
from tests.helpers import FormClient, completed_backup, events, secret_on_page, text, totp_code


def sign_in(client, username="olivia", password=PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


def add_app(client) -> str:
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in text(page)  # the QR code, no script
    secret = secret_on_page(page)
    added = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert added.status_code == 302
    return secret


def with_app(user) -> tuple[str, list[str]]:
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(user, secret)
    codes = RecoveryCodes.activate(user).get_unused_codes()
    return secret, codes


def age_confirmations(client, minutes: float) -> None:
    """As if the person signed in (and last confirmed) this many minutes ago."""
    session = client.session
    for record in session.get(AUTHENTICATION_METHODS_SESSION_KEY, []):
        record["at"] -= minutes * 60
    session[CONFIRMED_AT] = time.time() - minutes * 60
    session.save()


def test_it_adds_an_authenticator_app_and_asks_for_it_at_sign_in(
    operator, django_capture_on_commit_callbacks
):
    client = FormClient()
    assert sign_in(client).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals after commit
        secret = add_app(client)
    assert Authenticator.objects.filter(user=operator, type="totp").exists()
    codes_page = text(client.get("/accounts/2fa/recovery-codes/"))
    shown = RecoveryCodes(Authenticator.objects.get(user=operator, type="recovery_codes"))
    assert shown.get_unused_codes()[0] in codes_page
    added = events("second_factor_added")
    assert [e.message for e in added] == ["Added: authenticator app.", "Added: recovery codes."]
    client.post("/accounts/logout/")

    asked = sign_in(client)
    assert asked["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session  # not signed in on the password alone
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert "Incorrect code." in text(wrong)
    landed = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert landed["Location"] == "/backups/"
    assert events("sign_in")[-1].message == "Password and second factor (totp)."


def test_it_takes_a_recovery_code_once(operator):
    _secret, codes = with_app(operator)
    client = FormClient()
    sign_in(client)
    assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 302
    client.post("/accounts/logout/")
    sign_in(client)
    again = client.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert again.status_code == 200 and "Incorrect code." in text(again)
    assert "_auth_user_id" not in client.session
    used = events("recovery_code_used")
    assert len(used) == 1 and used[0].actor_username == "olivia"


def test_it_sends_a_role_that_must_have_a_second_factor_to_add_one_and_back(
    sandbox, operator, support, settings
):
    settings.BACKUPSUI_MFA_REQUIRED = ["Operators"]
    client = FormClient()
    sign_in(client)
    backup = completed_backup(sandbox)
    page = f"/servers/12345/restore/?backup_id={backup.id}"
    assert client.get("/backups/").status_code == 200  # reading is fine
    assert client.get(page).status_code == 200
    sent = client.post(
        "/servers/12345/restore/",
        {"backup_id": backup.id, "confirm": "web-server-01"},
        HTTP_REFERER=f"http://testserver{page}",
    )
    assert sent["Location"] == "/accounts/2fa/"
    assert not events("restore_requested")
    assert "Your role needs a second factor" in text(client.get("/accounts/2fa/"))
    add_app(client)
    back = text(client.get("/accounts/2fa/"))
    assert "Go back to what you were doing" in back
    assert f'href="/servers/12345/restore/?backup_id={backup.id}"' in back
    done = client.post(
        "/servers/12345/restore/", {"backup_id": backup.id, "confirm": "web-server-01"}
    )
    assert done.status_code == 302 and len(events("restore_requested")) == 1
    # A role that need not have one changes things at once.
    other = FormClient()
    sign_in(other, "sam")
    assert other.post("/backups/new/", {"server_id": 12345})["Location"].startswith("/backups/")
    assert len(events("backup_requested")) == 1


def test_it_asks_to_confirm_a_delete_after_the_reauth_minutes_and_then_deletes_once(
    sandbox, operator, settings
):
    client = FormClient()
    sign_in(client)
    backup = completed_backup(sandbox)
    age_confirmations(client, settings.BACKUPSUI_REAUTH_MINUTES + 1)
    asked = client.post(f"/backups/{backup.id}/delete/", {})
    assert (
        asked["Location"] == f"/accounts/reauthenticate/?next=%2Fbackups%2F{backup.id}%2Fdelete%2F"
    )
    assert backup.id in sandbox.state.backups and not events("backup_deleted")
    page = client.get(asked["Location"])
    assert "This change needs a recent confirmation" in text(page)
    wrong = client.post(
        asked["Location"], {"password": "wrong", "next": f"/backups/{backup.id}/delete/"}
    )
    assert wrong.status_code == 200 and backup.id in sandbox.state.backups
    done = client.post(
        "/accounts/reauthenticate/", {"password": PASSWORD, "next": f"/backups/{backup.id}/delete/"}
    )
    assert done.status_code == 302 and done["Location"].startswith("/backups/")
    assert backup.id not in sandbox.state.backups
    assert len(events("backup_deleted")) == 1 and len(events("reauthenticated")) == 1
    # Sending the confirmation again carries out nothing more.
    client.post(
        "/accounts/reauthenticate/", {"password": PASSWORD, "next": f"/backups/{backup.id}/delete/"}
    )
    assert len(events("backup_deleted")) == 1


def test_it_asks_for_the_second_factor_to_confirm_when_there_is_one(sandbox, operator, settings):
    secret, _codes = with_app(operator)
    client = FormClient()
    sign_in(client)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    backup = completed_backup(sandbox)
    age_confirmations(client, settings.BACKUPSUI_REAUTH_MINUTES + 1)
    sent = {"backup_id": backup.id, "confirm": "web-server-01"}
    asked = client.post("/servers/12345/restore/", sent)
    assert asked["Location"].startswith("/accounts/2fa/reauthenticate/?next=")
    code = totp_code(secret, time.time() + 30)  # the next code: each is taken once
    settings.MFA_TOTP_TOLERANCE = 1
    done = client.post(
        "/accounts/2fa/reauthenticate/", {"code": code, "next": "/servers/12345/restore/"}
    )
    assert done.status_code == 302
    assert len(events("restore_requested")) == 1 and len(events("reauthenticated")) == 1


@pytest.mark.parametrize("url", ["/account/token/", "/account/alerts/"])
def test_it_asks_to_confirm_before_showing_a_form_with_a_secret(operator, settings, url):
    client = FormClient()
    sign_in(client)
    assert client.get(url).status_code == 200
    age_confirmations(client, settings.BACKUPSUI_REAUTH_MINUTES + 1)
    asked = client.get(url)
    assert asked["Location"].startswith("/accounts/reauthenticate/?next=")
    back = client.post("/accounts/reauthenticate/", {"password": PASSWORD, "next": url})
    assert back["Location"] == url
    assert client.get(url).status_code == 200


def test_it_never_confirms_someone_with_a_second_factor_by_the_password_alone(
    sandbox, operator, settings
):
    secret, _codes = with_app(operator)
    client = FormClient()
    sign_in(client)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    backup = completed_backup(sandbox)
    age_confirmations(client, settings.BACKUPSUI_REAUTH_MINUTES + 1)
    delete = f"/backups/{backup.id}/delete/"
    asked = client.post(delete, {})
    assert asked["Location"].startswith("/accounts/2fa/reauthenticate/?next=")
    page = text(client.get(asked["Location"]))
    assert "password" not in page.lower()
    assert 'href="/accounts/reauthenticate/' not in page
    # The password page sends such a person to the second factor, and a password sent to it
    # is not read: nothing is confirmed, nothing deleted.
    shown = client.get(f"/accounts/reauthenticate/?next={delete}")
    assert shown.status_code == 302
    assert shown["Location"].startswith("/accounts/2fa/reauthenticate/?next=")
    sent = client.post("/accounts/reauthenticate/", {"password": PASSWORD, "next": delete})
    assert sent.status_code == 302
    assert sent["Location"].startswith("/accounts/2fa/reauthenticate/?next=")
    assert not events("reauthenticated") and not events("sign_in_failed")
    assert backup.id in sandbox.state.backups and not events("backup_deleted")
    assert client.post(delete, {})["Location"].startswith("/accounts/2fa/reauthenticate/")


def test_it_confirms_someone_without_a_second_factor_by_the_password(operator, settings):
    client = FormClient()
    sign_in(client)
    age_confirmations(client, settings.BACKUPSUI_REAUTH_MINUTES + 1)
    page = text(client.get("/accounts/reauthenticate/?next=/account/token/"))
    assert 'name="password"' in page and "second factor instead" not in page
    back = client.post(
        "/accounts/reauthenticate/", {"password": PASSWORD, "next": "/account/token/"}
    )
    assert back["Location"] == "/account/token/" and len(events("reauthenticated")) == 1


@pytest.mark.django_db(transaction=True)
def test_it_says_old_codes_stopped_working_only_when_there_were_old_codes(operator):
    # Committed as it goes (allauth's messages follow the commit, within the request).
    old_ones = "the old ones no longer work"
    client = FormClient()
    sign_in(client)
    add_app(client)
    first = text(client.get("/accounts/2fa/"))
    assert "Recovery codes were made with your first second factor" in first
    assert old_ones not in first
    made = client.post("/accounts/2fa/recovery-codes/generate/", {})
    assert made.status_code == 302
    again = text(client.get(made["Location"]))
    assert f"New recovery codes were made; {old_ones}." in again
    assert "with your first second factor" not in again
