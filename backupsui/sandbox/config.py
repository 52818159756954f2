"""Reading the sandbox's accounts from configuration: SANDBOX_TOKENS="token=account,…"."""

import os
import secrets

from django.core.exceptions import ImproperlyConfigured


def accounts_from_env(name: str = "SANDBOX_TOKENS") -> dict[str, str]:
    raw = os.environ.get(name, "").strip()
    accounts = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        token, sep, account = item.partition("=")
        if not sep or not token.strip() or not account.strip():
            raise ImproperlyConfigured(f"{name} must look like 'token=account,token2=account2'.")
        accounts[token.strip()] = account.strip()
    return accounts


def new_token() -> str:
    return "sbx_" + secrets.token_urlsafe(24)
