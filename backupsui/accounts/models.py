from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import crypto


class ApiToken(models.Model):
    """One user's Backups API token, encrypted at rest. Only its last four characters show."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token"
    )
    ciphertext = models.TextField()
    last4 = models.CharField(max_length=4)
    saved_at = models.DateTimeField()
    last_accepted_at = models.DateTimeField(null=True, blank=True)
    # Changed (to a new random value) whenever this person's list may have changed: the
    # key under which every process remembers the list, so none serves a stale one.
    lists_version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"…{self.last4}"

    def __repr__(self) -> str:
        return f"<ApiToken user={self.user_id} …{self.last4}>"

    def reveal(self) -> str:
        return crypto.decrypt(self.ciphertext)


crypto.register(ApiToken, "ciphertext")


class Preference(models.Model):
    """A person's own settings that follow them to any browser: the panel's language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(max_length=10, blank=True)

    def __str__(self) -> str:
        return f"preferences of user {self.user_id}"
