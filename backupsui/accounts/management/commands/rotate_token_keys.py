from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from backupsui.accounts import crypto
from backupsui.accounts.models import ApiToken


class Command(BaseCommand):
    help = (
        "Re-encrypts every stored secret (API tokens, and every other field registered in "
        "accounts/crypto.py: webhook secrets, Apprise URLs) under the first key of "
        "BACKUPSUI_TOKEN_KEYS, all or nothing. Run it after putting a new key first; then the "
        "old keys can be dropped."
    )

    def handle(self, *args, **options):
        counts = {}
        try:
            with transaction.atomic():
                for model, field in crypto.registered():
                    stored = model.objects.select_for_update().exclude(**{field: ""})
                    done = 0
                    for row in stored.order_by("pk").only("pk", field):
                        rotated = crypto.rotate(getattr(row, field))
                        model.objects.filter(pk=row.pk).update(**{field: rotated})
                        done += 1
                    counts[(model, field)] = done
        except crypto.TokenKeyError:
            raise CommandError(
                "A stored secret cannot be decrypted with any configured key; nothing was "
                "changed. Put the old key back in BACKUPSUI_TOKEN_KEYS (after the new one)."
            ) from None
        tokens = counts.get((ApiToken, "ciphertext"), 0)
        others = ", ".join(
            f"{model._meta.label}.{field}: {done}"
            for (model, field), done in counts.items()
            if model is not ApiToken
        )
        self.stdout.write(
            f"Re-encrypted {tokens} token(s) and the other secrets ({others or 'none'}) "
            "under the first key."
        )
