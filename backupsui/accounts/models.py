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
    lists_version = models.BigIntegerField(default=0, db_default=0)
    # Since when no configured key decrypts it (the keys changed): said on every page that
    # needs it, logged once, counted on /metrics. Cleared when it is stored again.
    unreadable_since = models.DateTimeField(null=True, blank=True)
    # The last fetch of this token's list, when it failed (null once one succeeds): why (the
    # call's cause: timeout, refused, 5xx, ...) and how many failed in all (for /metrics).
    # A page showing an older list says so, in every process and replica.
    list_failed_at = models.DateTimeField(null=True, blank=True)
    list_failure = models.CharField(max_length=20, blank=True, default="", db_default="")
    list_failures = models.PositiveBigIntegerField(default=0, db_default=0)

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
    """A person's own settings that follow them to any browser: the panel's language, and
    whether they get the weekly report by email (since when: no week ended before they asked
    is sent)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(max_length=10, blank=True)
    weekly_report_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"preferences of user {self.user_id}"

    @classmethod
    def weekly_report_wanted(cls, user) -> bool:
        return cls.objects.filter(user=user, weekly_report_since__isnull=False).exists()

    @classmethod
    def want_weekly_report(cls, user, wanted: bool, now) -> None:
        """Asks for the weekly report (from now on: asking again keeps the first time) or
        stops it."""
        cls.objects.get_or_create(user=user)
        mine = cls.objects.filter(user=user)
        if wanted:
            mine.filter(weekly_report_since__isnull=True).update(weekly_report_since=now)
        else:
            mine.update(weekly_report_since=None)


class WeeklyReport(models.Model):
    """One person's weekly report email for one week, claimed (inserted) before it is sent:
    the unique row is what makes it go once however many workers run the round."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_reports"
    )
    week = models.DateField()  # the Monday the report was due, in the panel's time zone
    claimed_at = models.DateTimeField()
    outcome = models.CharField(max_length=20, blank=True)  # "sent", "failed", "no address"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "week"], name="one_weekly_report_a_week")
        ]

    def __str__(self) -> str:
        return f"weekly report of user {self.user_id} for {self.week}"


class SharedCacheEntry(models.Model):
    """The table of the default cache when it is the database (BACKUPSUI_CACHE_URL unset):
    Django's DatabaseCache reads and writes it, never this model. Declared here so that a
    migration makes it (no `createcachetable` step to forget) and every process and replica
    shares what must hold across requests: one-time codes already used, rate limits and
    wrong-code counts. Its columns are those `createcachetable` makes."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "backupsui_cache"  # settings.CACHES["default"]["LOCATION"]

    def __str__(self) -> str:
        return self.cache_key
