"""Encrypted token storage: round trip, rotation, a wrong key, and the two commands."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from backupsui.accounts import crypto
from backupsui.accounts.models import ApiToken
from tests.conftest import OPERATOR_TOKEN

SECRET = "tok_live_0123456789abcdef"


def test_it_round_trips_without_storing_the_plaintext():
    sealed = crypto.encrypt(SECRET)
    assert SECRET not in sealed
    assert crypto.decrypt(sealed) == SECRET


def test_it_raises_on_a_wrong_key_and_never_returns_ciphertext(settings):
    sealed = crypto.encrypt(SECRET)
    settings.BACKUPSUI_TOKEN_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.TokenKeyError):
        crypto.decrypt(sealed)


def test_it_decrypts_with_an_old_key_and_rotates_to_the_new_one(settings):
    old = settings.BACKUPSUI_TOKEN_KEYS[0]
    sealed = crypto.encrypt(SECRET)
    new = Fernet.generate_key().decode()
    settings.BACKUPSUI_TOKEN_KEYS = [new, old]
    assert crypto.decrypt(sealed) == SECRET
    rotated = crypto.rotate(sealed)
    settings.BACKUPSUI_TOKEN_KEYS = [new]
    assert crypto.decrypt(rotated) == SECRET


def test_it_rotates_every_stored_token_with_the_command(settings, operator, support):
    old = settings.BACKUPSUI_TOKEN_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.BACKUPSUI_TOKEN_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_token_keys", stdout=out)
    assert "2 token(s)" in out.getvalue()
    settings.BACKUPSUI_TOKEN_KEYS = [new]
    assert ApiToken.objects.get(user=operator).reveal() == OPERATOR_TOKEN


def test_it_refuses_to_rotate_when_a_key_is_missing(settings, operator):
    before = ApiToken.objects.get(user=operator).ciphertext
    settings.BACKUPSUI_TOKEN_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("rotate_token_keys", stdout=io.StringIO())
    assert ApiToken.objects.get(user=operator).ciphertext == before


def test_it_sets_a_token_from_standard_input_after_checking_it(
    sandbox, django_user_model, monkeypatch
):
    user = django_user_model.objects.create_user("tess")
    monkeypatch.setattr("sys.stdin", io.StringIO(OPERATOR_TOKEN + "\n"))
    out = io.StringIO()
    call_command("set_api_token", "tess", stdout=out)
    stored = ApiToken.objects.get(user=user)
    assert stored.reveal() == OPERATOR_TOKEN and stored.last4 == OPERATOR_TOKEN[-4:]
    assert OPERATOR_TOKEN not in out.getvalue()


def test_it_does_not_set_a_refused_token(sandbox, django_user_model, monkeypatch):
    django_user_model.objects.create_user("tess")
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong-token-value\n"))
    with pytest.raises(CommandError, match="refused"):
        call_command("set_api_token", "tess", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_it_names_an_unknown_user(db, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("whatever-token\n"))
    with pytest.raises(CommandError, match="no user"):
        call_command("set_api_token", "nobody", stdout=io.StringIO())
