from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from backupsui.accounts import crypto
from backupsui.accounts.models import ApiToken


class Command(BaseCommand):
    help = (
        "Re-encrypts every stored API token under the first key of BACKUPSUI_TOKEN_KEYS. "
        "Run it after putting a new key first; then the old keys can be dropped."
    )

    def handle(self, *args, **options):
        rotated = 0
        try:
            with transaction.atomic():
                for stored in ApiToken.objects.select_for_update().order_by("pk"):
                    stored.ciphertext = crypto.rotate(stored.ciphertext)
                    stored.save(update_fields=["ciphertext"])
                    rotated += 1
        except crypto.TokenKeyError:
            raise CommandError(
                "A stored token cannot be decrypted with any configured key; nothing was "
                "changed. Put the old key back in BACKUPSUI_TOKEN_KEYS (after the new one)."
            ) from None
        self.stdout.write(f"Re-encrypted {rotated} token(s) under the first key.")
