from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class AccountsConfig(AppConfig):
    name = "backupsui.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from . import signals  # noqa: F401

        checks.register(check_token_keys)


def check_token_keys(app_configs, **kwargs):
    if settings.BACKUPSUI_TOKEN_KEYS:
        return []
    return [
        checks.Warning(
            "BACKUPSUI_TOKEN_KEYS is not set: API tokens are encrypted with a key derived from "
            "the secret key (debug only).",
            hint="Set BACKUPSUI_TOKEN_KEYS to one or more Fernet keys before storing real tokens.",
            id="backupsui.W001",
        )
    ]
