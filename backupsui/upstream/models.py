"""What every process counted of its calls to the Backups API, added up in the database (a
process keeps its counts in memory and adds them here every few seconds: ledger.py), so
/metrics says the same on every replica without calling the API."""

from django.db import models

from .ledger import BUCKET_COLUMNS


class CallCount(models.Model):
    """The calls of one kind (list_backups, create_backup, delete_backup, restore_server) that
    ended one way (ok, or why not: timeout, refused, 5xx, ...), ever: how many, how long
    they took together and by bucket, and when the newest of them was made."""

    call = models.CharField(max_length=32)
    outcome = models.CharField(max_length=16)
    count = models.BigIntegerField(default=0)
    seconds = models.FloatField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)
    # The histogram: a column per bound (ledger.BUCKETS), the calls that took at most that long.
    le_0_05 = models.BigIntegerField(default=0)
    le_0_1 = models.BigIntegerField(default=0)
    le_0_25 = models.BigIntegerField(default=0)
    le_0_5 = models.BigIntegerField(default=0)
    le_1 = models.BigIntegerField(default=0)
    le_2_5 = models.BigIntegerField(default=0)
    le_5 = models.BigIntegerField(default=0)
    le_10 = models.BigIntegerField(default=0)
    le_30 = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["call", "outcome"], name="one_count_per_call_outcome")
        ]

    def __str__(self) -> str:
        return f"{self.call} {self.outcome}: {self.count}"

    @property
    def buckets(self) -> list[int]:
        return [getattr(self, column) for column in BUCKET_COLUMNS]


class BreakerOpening(models.Model):
    """How often any process's breaker opened (the API failed several times in a row, so
    that process held its calls back for a few seconds), and when it last did."""

    name = models.CharField(max_length=40, unique=True)  # the breaker's: "backups_api"
    count = models.BigIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} opened {self.count} times"
