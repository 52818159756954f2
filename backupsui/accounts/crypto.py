"""Encrypting stored API tokens with MultiFernet: the first key encrypts, every key decrypts."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class TokenKeyError(Exception):
    """A stored token cannot be decrypted with the configured keys."""


def _keys() -> list[bytes]:
    if settings.BACKUPSUI_TOKEN_KEYS:
        return [key.encode() for key in settings.BACKUPSUI_TOKEN_KEYS]
    if not settings.DEBUG:
        raise ImproperlyConfigured("BACKUPSUI_TOKEN_KEYS is required when DJANGO_DEBUG is off.")
    digest = hashlib.sha256(b"backupsui-token-key:" + settings.SECRET_KEY.encode()).digest()
    return [base64.urlsafe_b64encode(digest)]


def fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in _keys()])
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "BACKUPSUI_TOKEN_KEYS must hold Fernet keys (32 url-safe base64-encoded bytes each)."
        ) from None


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
