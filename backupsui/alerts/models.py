from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from backupsui.accounts import crypto
from backupsui.words import Sentence

NOT_DELIVERED = gettext_noop("Not delivered.")
# How failed deliveries were described before they said only "not delivered" (they named
# what answered, or how): such words, still in rows kept from before, are shown as
# NOT_DELIVERED (the rows go within Delivery.KEEP_DAYS; nothing is rewritten).
RETIRED_FAILURES = frozenset(
    {
        "The webhook was refused: %(why)s",
        "The webhook failed %(tries)d times (%(status)s).",
        "The webhook did not answer within %(seconds)s seconds.",
        "The service did not answer within %(seconds)s seconds.",
        "The service did not take the alert.",
    }
)


# How successful deliveries were described before: rows kept from then still read in the
# reader's language.
RETIRED_SUCCESSES = (gettext_noop("Sent."), gettext_noop("The webhook answered %(status)s."))


def shown_outcome(raw: str) -> str:
    """A kept outcome (a Sentence's JSON) as shown now, in the reader's language."""
    said, shown = Sentence.loads(raw), Sentence()
    for template, values in said.parts:
        if template in RETIRED_FAILURES:
            shown += Sentence(NOT_DELIVERED)
        else:
            shown.parts.append((template, values))
    return str(shown)


class Subscription(models.Model):
    """What one person wants to be told about, and how."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_subscription"
    )
    on_failure = models.BooleanField(_("when a backup fails"), default=True)
    on_bad = models.BooleanField(_("when a server turns bad"), default=False)
    on_odd = models.BooleanField(_("when a backup's size is odd"), default=False, db_default=False)
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
        wants = self.on_failure or self.on_bad or self.on_odd
        if not wants:
            return False
        if self.by_email or self.webhook_url:
            return True
        return self.user_id is not None and AppriseUrl.objects.filter(user=self.user_id).exists()

    @property
    def last_delivery_text(self) -> str:
        return shown_outcome(self.last_delivery)

    def secret(self) -> str:
        return crypto.decrypt(self.webhook_secret) if self.webhook_secret else ""


class SentAlert(models.Model):
    """One alert, noted before it is sent: the unique key makes a second sending of it (a
    restarted worker, a second worker) impossible."""

    FAILURE, BAD, RECOVERED, REMINDER, ODD = "failure", "bad", "recovered", "reminder", "odd"

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


class AppriseUrl(models.Model):
    """One of a person's Apprise URLs (a chat or paging service): the URL holds the service's
    secrets, so it is kept encrypted like the API tokens, and shown only masked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="apprise_urls"
    )
    name = models.CharField(_("name"), max_length=80)
    ciphertext = models.TextField()
    masked = models.CharField(max_length=300)  # the scheme and host, the secrets elided
    created_at = models.DateTimeField(default=timezone.now)
    last_test_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"apprise URL {self.name!r} of user {self.user_id}"

    def url(self) -> str:
        return crypto.decrypt(self.ciphertext)


crypto.register(AppriseUrl, "ciphertext")
crypto.register(Subscription, "webhook_secret")


class Delivery(models.Model):
    """One way one alert was sent, and how that went: the alerts page shows the last ten, and
    each way's last failure even after later successes. Kept for KEEP_DAYS."""

    EMAIL, WEBHOOK, APPRISE = "email", "webhook", "apprise"
    CHANNELS = {EMAIL: _("email"), WEBHOOK: _("webhook"), APPRISE: _("Apprise")}
    KEEP_DAYS = 30

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16)
    name = models.CharField(max_length=80, blank=True)  # an Apprise URL's name
    kind = models.CharField(max_length=16)
    subject = models.TextField()  # a Sentence, shown in the reader's language
    ok = models.BooleanField()
    outcome = models.TextField()  # a Sentence
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "-sent_at"])]

    def __str__(self) -> str:
        return f"{self.kind} by {self.channel} to user {self.user_id}"

    @property
    def channel_text(self) -> str:
        label = str(self.CHANNELS.get(self.channel, self.channel))
        return f"{label}: {self.name}" if self.name else label

    @property
    def subject_text(self) -> str:
        return str(Sentence.loads(self.subject))

    @property
    def outcome_text(self) -> str:
        return shown_outcome(self.outcome)

    @classmethod
    def keep(cls, user, alert, outcomes) -> None:
        """One row per way (channel, name, (ok, outcome)); older than KEEP_DAYS go."""
        now = timezone.now()
        cls.objects.bulk_create(
            cls(
                user=user,
                channel=channel,
                name=name,
                kind=alert.kind,
                subject=alert.subject.dumps(),
                ok=ok,
                outcome=outcome.dumps(),
                sent_at=now,
            )
            for channel, name, (ok, outcome) in outcomes
        )
        cls.objects.filter(user=user, sent_at__lt=now - timedelta(days=cls.KEEP_DAYS)).delete()

    @classmethod
    def last_failures(cls, user) -> list["Delivery"]:
        """Each way's newest failure, when it failed after its newest success or since."""
        rows = cls.objects.filter(user=user, ok=False).order_by("channel", "name", "-sent_at")
        newest: dict[tuple, Delivery] = {}
        for row in rows[:200]:
            newest.setdefault((row.channel, row.name), row)
        return sorted(newest.values(), key=lambda r: r.sent_at, reverse=True)


class Tally(models.Model):
    """A named count or moment every process reads the same: the round's heartbeat (its
    `at`), the number of alert deliveries that failed (its `value`, only ever growing)."""

    ROUND, ALERTS_FAILED = "round", "alerts_failed"

    name = models.CharField(max_length=40, unique=True)
    value = models.BigIntegerField(default=0)
    at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"

    @classmethod
    def add(cls, name: str, count: int = 1) -> None:
        if not cls.objects.filter(name=name).update(value=F("value") + count):
            try:
                with transaction.atomic():
                    cls.objects.create(name=name, value=count)
            except IntegrityError:  # made this moment by another worker
                cls.objects.filter(name=name).update(value=F("value") + count)

    @classmethod
    def beat(cls, name: str) -> None:
        now = timezone.now()
        if not cls.objects.filter(name=name).update(at=now):
            try:
                with transaction.atomic():
                    cls.objects.create(name=name, at=now)
            except IntegrityError:
                cls.objects.filter(name=name).update(at=now)
