"""Recovering an operator who lost every second factor: an audited manage.py command."""

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
