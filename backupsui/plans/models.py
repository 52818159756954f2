from datetime import datetime
from fnmatch import fnmatchcase
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backupsui.audit.models import AuditEvent
from backupsui.words import Sentence

from .retention import Rules


def default_zone() -> str:
    return settings.TIME_ZONE


class Plan(models.Model):
    """Backups on a schedule, pruned by rules, made with the owner's token as it is when
    each run starts (never a copy of it)."""

    class Servers(models.TextChoices):
        ALL = "all", _("Every server of the account")
        CHOSEN = "chosen", _("Chosen servers")
        PATTERN = "pattern", _("Servers whose name matches a pattern")

    class Mode(models.TextChoices):
        ACTIVE = "active", _("Active")
        # The dry run (stored as "preview" since the first release): the form's Preview
        # button is another thing, which only draws what a plan would do.
        PREVIEW = "preview", _("Dry run: takes backups, deletes nothing")
        PAUSED = "paused", _("Paused")

    # Why a plan is paused: a person paused it, or it stopped by itself. Only a plan that
    # stopped for its owner's missing (or no longer readable) token takes itself up again
    # (when a token is stored).
    PAUSED_BY_PERSON = "person"
    NO_TOKEN = "no_token"
    TOKEN_UNREADABLE = "token_unreadable"
    TOKEN_REFUSED = "token_refused"
    OWNER_MAY_NOT = "owner"

    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    servers = models.CharField(
        _("servers"), max_length=8, choices=Servers.choices, default=Servers.ALL
    )
    server_ids = models.JSONField(default=list, blank=True)
    pattern = models.CharField(_("name pattern"), max_length=100, blank=True)
    schedule = models.CharField(_("schedule"), max_length=100, default="30 2 * * *")
    zone = models.CharField(_("time zone"), max_length=64, default=default_zone)
    description = models.CharField(_("description of its backups"), max_length=200, blank=True)
    keep_last = models.PositiveSmallIntegerField(_("keep-last"), default=0)
    keep_hourly = models.PositiveSmallIntegerField(_("keep-hourly"), default=0)
    keep_daily = models.PositiveSmallIntegerField(_("keep-daily"), default=0)
    keep_weekly = models.PositiveSmallIntegerField(_("keep-weekly"), default=0)
    keep_monthly = models.PositiveSmallIntegerField(_("keep-monthly"), default=0)
    keep_yearly = models.PositiveSmallIntegerField(_("keep-yearly"), default=0)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.ACTIVE)
    # Why it stopped (a Sentence: shown in the reader's language), and the kind of reason
    # (PAUSED_BY_PERSON, NO_TOKEN, ...; empty for a plan paused before they were kept).
    paused_reason = models.TextField(blank=True)
    paused_for = models.CharField(max_length=16, blank=True, default="", db_default="")
    # The mode it had before it paused, taken up again when it resumes (a dry run stays one).
    resumes_as = models.CharField(max_length=8, blank=True, default="", db_default="")
    created_at = models.DateTimeField(default=timezone.now)
    # The newest slot the scheduler has handled: slots after it are due.
    last_slot = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def rules(self) -> Rules:
        return Rules(
            last=self.keep_last,
            hourly=self.keep_hourly,
            daily=self.keep_daily,
            weekly=self.keep_weekly,
            monthly=self.keep_monthly,
            yearly=self.keep_yearly,
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def resumes_by_itself(self) -> bool:
        """Paused for its owner's missing or unreadable token: a token stored resumes it."""
        return self.paused_for in (self.NO_TOKEN, self.TOKEN_UNREADABLE)

    @property
    def paused_reason_text(self) -> str:
        return str(Sentence.loads(self.paused_reason))

    @property
    def paused(self) -> bool:
        return self.mode == self.Mode.PAUSED

    @property
    def resumed_mode(self) -> str:
        """The mode it takes up again: the one it had before it paused (active when unknown)."""
        modes = (self.Mode.ACTIVE, self.Mode.PREVIEW)
        return self.resumes_as if self.resumes_as in modes else self.Mode.ACTIVE

    @property
    def resumed_mode_display(self) -> str:
        return self.Mode(self.resumed_mode).label

    def covers(self, server_id: int, server_name: str) -> bool:
        if self.servers == self.Servers.CHOSEN:
            return server_id in self.server_ids
        if self.servers == self.Servers.PATTERN:
            return fnmatchcase(server_name or "", self.pattern)
        return True

    def description_for(self, slot: datetime) -> str:
        """What its backups are called upstream: the template with {plan} and {slot}, or the
        plan's name and the slot's time (data, like a log line: not translated)."""
        when = slot.astimezone(self.tz).strftime("%Y-%m-%d %H:%M %Z")
        template = self.description or "{plan} {slot}"
        return template.replace("{plan}", self.name).replace("{slot}", when)[:255]


class PlanBackup(models.Model):
    """A backup a plan made: only these are ever pruned by it."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="backups")
    server_id = models.BigIntegerField()
    backup_id = models.BigIntegerField(db_index=True)
    slot = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "backup_id"], name="one_record_per_backup")
        ]

    def __str__(self) -> str:
        return f"backup {self.backup_id} of plan {self.plan_id}"


class PlanRun(models.Model):
    """One slot of a plan, run once: the unique (plan, slot) makes a second run of it (a
    second scheduler, worker or replica) impossible."""

    class Outcome(models.TextChoices):
        QUEUED = "queued", _("Waiting to run")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        PREVIEWED = "previewed", _("Done, dry run: nothing deleted")
        # Not done: a chosen server is not in the owner's list, or no name matches the
        # pattern (what the run could do, it did).
        ATTENTION = "attention", _("Needs attention")
        STOPPED = "stopped", _("Stopped: the plan was paused")
        FAILED = "failed", _("Failed")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="runs")
    slot = models.DateTimeField()
    now = models.BooleanField(default=False)  # "Run now", not the schedule
    # Who pressed "Run now" (the run acts as the owner all the same); named on its events.
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    held_until = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.QUEUED)
    created = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    skipped = models.JSONField(default=list, blank=True)  # [{server_id, server_name, why}]
    would_delete = models.JSONField(default=list, blank=True)  # [{backup_id, ..., said}]
    missed = models.PositiveIntegerField(default=0)
    detail = models.TextField(blank=True)  # a Sentence

    class Meta:
        ordering = ["-slot", "-id"]
        constraints = [models.UniqueConstraint(fields=["plan", "slot"], name="one_run_per_slot")]

    def __str__(self) -> str:
        return f"run of plan {self.plan_id} at {self.slot:%Y-%m-%d %H:%M}"

    @property
    def detail_text(self) -> str:
        return str(Sentence.loads(self.detail))

    @property
    def open(self) -> bool:
        return self.finished is None

    @classmethod
    def newest_finished(cls, plans) -> dict[int, "PlanRun"]:
        """Plan id → its newest finished run, for these plans (one query)."""
        newest = cls.objects.filter(plan=models.OuterRef("plan"), finished__isnull=False)
        newest = newest.order_by("-finished", "-pk").values("pk")[:1]
        runs = cls.objects.filter(plan__in=[plan.pk for plan in plans], pk=models.Subquery(newest))
        return {run.plan_id: run for run in runs}


class PlanStep(models.Model):
    """One upstream call of a run, noted before it is made: a run resumed after a worker died
    finds it and never makes the call again."""

    CREATE, DELETE = "create", "delete"

    run = models.ForeignKey(PlanRun, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=8)
    target = models.BigIntegerField()  # the server (create) or the backup (delete)
    server_name = models.CharField(max_length=255, blank=True)
    said = models.CharField(max_length=200, blank=True)  # the rule, for a delete
    event = models.ForeignKey(
        AuditEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    backup_id = models.BigIntegerField(null=True, blank=True)  # what a create made
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "kind", "target"], name="one_call_per_target")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.target} in run {self.run_id}"


class KeptBackup(models.Model):
    """A backup someone marked kept: no plan prunes it and the panel refuses to delete it."""

    backup_id = models.BigIntegerField()
    server_id = models.BigIntegerField()
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = ("view",)
        permissions = [("mark_kept", _("Can mark backups kept and release them"))]
        constraints = [models.UniqueConstraint(fields=["server_id", "backup_id"], name="kept_once")]

    def __str__(self) -> str:
        return f"backup {self.backup_id} kept"
