"""Recovering an operator who lost every second factor: an audited manage.py command that also
signs them out everywhere."""

from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management import CommandError, call_command

from tests.helpers import FormClient, events


def test_it_removes_every_factor_and_puts_it_on_record(operator, admin_user):
    TOTP.activate(operator, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    RecoveryCodes.activate(operator)
    call_command(
        "reset_second_factors", "olivia", "--by", admin_user.username, "--reason", "lost phone"
    )
    assert not Authenticator.objects.filter(user=operator).exists()
    (event,) = events("second_factors_reset")
    assert event.actor_username == admin_user.username
    assert "olivia" in event.message and "recovery_codes, totp" in event.message
    assert "lost phone" in event.message
    # The password alone signs in again.
    signed_in = FormClient().post(
        "/accounts/login/", {"username": "olivia", "password": "correct horse battery staple"}
    )
    assert signed_in["Location"] == "/backups/"


def test_it_takes_an_administrator_only(operator, support):
    with pytest.raises(CommandError, match="not a superuser"):
        call_command("reset_second_factors", "olivia", "--by", "sam")
    assert not events("second_factors_reset")


def test_it_ends_every_session_of_the_person(sandbox, operator, support, admin_user):
    TOTP.activate(operator, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    hers = [FormClient(), FormClient()]
    for client in hers:
        client.force_login(operator)
        assert client.get("/backups/").status_code == 200
    someone_else = FormClient()
    someone_else.force_login(support)
    out = StringIO()
    call_command("reset_second_factors", "olivia", "--by", admin_user.username, stdout=out)
    assert "2 session(s) ended" in out.getvalue()
    for client in hers:
        assert client.get("/backups/")["Location"].startswith("/accounts/login/")
    assert someone_else.get("/backups/").status_code == 200
    (event,) = events("second_factors_reset")
    assert "2 session(s) ended" in event.message
