"""Encrypting stored API tokens with MultiFernet: the first key encrypts, every key decrypts.

The keys are checked once, at start-up (settings); in debug without keys, one is derived
from the secret key and the system check backupsui.W001 says so. Every model field that holds
such ciphertext is registered here (`register`), so `rotate_token_keys` finds them all."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class TokenKeyError(Exception):
    """A stored token cannot be decrypted with the configured keys."""


_encrypted: list[tuple[type, str]] = []


def register(model, field: str) -> None:
    """A model's text field that holds ciphertext from `encrypt` (empty: nothing stored)."""
    if (model, field) not in _encrypted:
        _encrypted.append((model, field))


def registered() -> list[tuple[type, str]]:
    return list(_encrypted)


def _keys() -> list[str | bytes]:
    if settings.BACKUPSUI_TOKEN_KEYS:
        return list(settings.BACKUPSUI_TOKEN_KEYS)
    digest = hashlib.sha256(b"backupsui-token-key:" + settings.SECRET_KEY.encode()).digest()
    return [base64.urlsafe_b64encode(digest)]


def fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


def encrypt(token: str) -> str:
    return fernet().encrypt(token.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise TokenKeyError(
            "A stored API token cannot be decrypted with the configured keys."
        ) from None


def rotate(ciphertext: str) -> str:
    try:
        return fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise TokenKeyError(
            "A stored API token cannot be decrypted with the configured keys."
        ) from None
