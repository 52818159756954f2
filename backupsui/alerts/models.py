from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from backupsui.accounts import crypto
from backupsui.words import Sentence


class Subscription(models.Model):
    """What one person wants to be told about, and how."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_subscription"
    )
    on_failure = models.BooleanField(_("when a backup fails"), default=True)
    on_bad = models.BooleanField(_("when a server turns bad"), default=False)
    by_email = models.BooleanField(_("by email"), default=False)
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    # The webhook's signing secret, encrypted like API tokens (shown once, when made).
    webhook_secret = models.TextField(blank=True)
    # Set by the first look at the person's list: what was already failed or bad then is
    # the starting point, not news.
    watching_since = models.DateTimeField(null=True, blank=True)
    # What the last alert's sending said (a Sentence: shown in the reader's language).
    last_delivery = models.TextField(blank=True)
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    last_test_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"alerts of user {self.user_id}"

    @property
    def active(self) -> bool:
        wants = self.on_failure or self.on_bad
        return wants and (self.by_email or bool(self.webhook_url))

    @property
    def last_delivery_text(self) -> str:
        return str(Sentence.loads(self.last_delivery))

    def secret(self) -> str:
        return crypto.decrypt(self.webhook_secret) if self.webhook_secret else ""


class SentAlert(models.Model):
    """One alert, noted before it is sent: the unique key makes a second sending of it (a
    restarted worker, a second worker) impossible."""

    FAILURE, BAD = "failure", "bad"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    key = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)
    # False for what was already so when watching began (noted, never sent).
    sent = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "key"], name="one_alert_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} for user {self.user_id}"
