from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from backupsui.accounts import crypto
from backupsui.accounts.models import ApiToken
from backupsui.alerts.models import Subscription


class Command(BaseCommand):
    help = (
        "Re-encrypts every stored secret (API tokens, webhook secrets) under the first key of "
        "BACKUPSUI_TOKEN_KEYS, all or nothing. Run it after putting a new key first; then the "
        "old keys can be dropped."
    )

    def handle(self, *args, **options):
        tokens = secrets = 0
        try:
            with transaction.atomic():
                for stored in ApiToken.objects.select_for_update().order_by("pk"):
                    stored.ciphertext = crypto.rotate(stored.ciphertext)
                    stored.save(update_fields=["ciphertext"])
                    tokens += 1
                signed = Subscription.objects.select_for_update().exclude(webhook_secret="")
                for subscription in signed.order_by("pk"):
                    subscription.webhook_secret = crypto.rotate(subscription.webhook_secret)
                    subscription.save(update_fields=["webhook_secret"])
                    secrets += 1
        except crypto.TokenKeyError:
            raise CommandError(
                "A stored secret cannot be decrypted with any configured key; nothing was "
                "changed. Put the old key back in BACKUPSUI_TOKEN_KEYS (after the new one)."
            ) from None
        self.stdout.write(
            f"Re-encrypted {tokens} token(s) and {secrets} webhook secret(s) under the first key."
        )
