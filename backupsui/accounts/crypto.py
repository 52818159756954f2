"""Encrypting stored API tokens with MultiFernet: the first key encrypts, every key decrypts.

The keys are checked once, at start-up (settings); in debug without keys, one is derived
from the secret key and the system check backupsui.W001 says so."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class TokenKeyError(Exception):
    """A stored token cannot be decrypted with the configured keys."""


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
