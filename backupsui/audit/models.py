from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    """What the panel did, named for what it did (it requests; the API carries out)."""

    BACKUP_REQUESTED = "backup_requested", _("Backup requested")
    BACKUP_DELETED = "backup_deleted", _("Backup deleted")
    RESTORE_REQUESTED = "restore_requested", _("Restore requested")
    TOKEN_SET = "token_set", _("API token set")
    TOKEN_REMOVED = "token_removed", _("API token removed")
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    PERMISSION_DENIED = "permission_denied", _("Permission denied")
    SAFE_RESTORE_REQUESTED = "safe_restore_requested", _("Restore with a safety backup requested")
    RESTORE_CANCELLED = "restore_cancelled", _("Restore cancelled")
    ROLES_CHANGED = "roles_changed", _("Roles changed")
    USER_DEACTIVATED = "user_deactivated", _("User deactivated")
    SECOND_FACTOR_ADDED = "second_factor_added", _("Second factor added")
    SECOND_FACTOR_REMOVED = "second_factor_removed", _("Second factor removed")
    RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
    REAUTHENTICATED = "reauthenticated", _("Identity confirmed again")
    SECOND_FACTORS_RESET = "second_factors_reset", _("Second factors reset")
    SERVER_MUTED = "server_muted", _("Server's alerts muted")
    SERVER_UNMUTED = "server_unmuted", _("Server's alerts unmuted")
    BACKUP_KEPT = "backup_kept", _("Backup marked kept")
    BACKUP_RELEASED = "backup_released", _("Backup released")
    PLAN_CHANGED = "plan_changed", _("Backup plan changed")
    PLAN_CREATED = "plan_created", _("Backup plan created")
    PLAN_TAKEN_OVER = "plan_taken_over", _("Backup plan taken over")
    PLAN_RUN_REQUESTED = "plan_run_requested", _("Backup plan run requested")
    PLAN_DELETED = "plan_deleted", _("Backup plan deleted")
    PLAN_RESUMED = "plan_resumed", _("Backup plan resumed")
    ALERTS_CHANGED = "alerts_changed", _("Alert settings changed")
    ALERT_TARGET_ADDED = "alert_target_added", _("Alert target added")
    ALERT_TARGET_REMOVED = "alert_target_removed", _("Alert target removed")
    ALERT_TEST_SENT = "alert_test_sent", _("Test alert sent")


SIGN_INS = (Action.SIGN_IN, Action.SIGN_IN_FAILED)


class Outcome(models.TextChoices):
    """How it ended, in the API's terms: it accepted, it refused (it answered no), the call
    failed without reaching it, or nobody can tell yet."""

    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown")


# What an event says, in this order, with its CSV heading (English and stable: spreadsheets and
# scripts read it). The admin, the JSON log line and the CSV export all follow this list.
FIELDS = (
    ("id", "id"),
    ("created_at", "time (UTC)"),
    ("finished_at", "finished (UTC)"),
    ("actor_username", "user"),
    ("remote_addr", "address"),
    ("action", "action"),
    ("server_id", "server id"),
    ("server_name", "server"),
    ("backup_id", "backup id"),
    ("backup_created_at", "backup taken (UTC)"),
    ("backup_type", "backup type"),
    ("backup_size_mb", "backup size (MB)"),
    ("backup_status", "backup status"),
    ("backup_description", "backup description"),
    ("outcome", "outcome"),
    ("upstream_status", "upstream status"),
    ("message", "message"),
    ("first_outcome", "first outcome"),
    ("settled_at", "settled (UTC)"),
    ("settled_by", "settled by"),
    ("job_id", "job"),
    ("plan_id", "plan"),
    ("plan_name", "plan name"),
    ("plan_run_id", "plan run"),
    ("run_now_by", "run now by"),
    ("request_id", "request id"),
    ("user_agent", "user agent"),
)
FIELD_NAMES = tuple(name for name, _heading in FIELDS)


class AppendOnlyError(Exception):
    """Audit events are never changed once final, and never deleted."""


class AuditEventQuerySet(models.QuerySet):
    def delete(self):
        raise AppendOnlyError("Audit events cannot be deleted.")

    def update(self, **kwargs):
        raise AppendOnlyError("Audit events change only from pending or unknown, by the recorder.")

    def move(self, pk: int, was: str, **values) -> bool:
        """Changes one event only if its outcome is still `was` (finishing a pending event,
        settling an unknown one): of two processes racing, exactly one wins."""
        if was not in (Outcome.PENDING, Outcome.UNKNOWN):
            raise AppendOnlyError("A finished audit event cannot be changed.")
        return bool(models.QuerySet.update(self.filter(pk=pk, outcome=was), **values))

    def visible_to(self, user):
        if user.has_perm("audit.view_all_events"):
            return self
        return self.filter(actor=user)


class AuditEvent(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices, db_index=True)
    server_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    server_name = models.CharField(max_length=255, blank=True)
    backup_id = models.BigIntegerField(null=True, blank=True)
    # Columns added after 0.1.0 have database defaults: the release before writes rows
    # without them while replicas roll (expand, then contract).
    # The backup as the person saw it when they acted (what a restore or delete was about,
    # or, for a requested backup, the description they typed).
    backup_created_at = models.DateTimeField(null=True, blank=True)
    backup_type = models.CharField(max_length=40, blank=True, default="", db_default="")
    backup_size_mb = models.FloatField(null=True, blank=True)
    backup_status = models.CharField(max_length=40, blank=True, default="", db_default="")
    backup_description = models.CharField(max_length=255, blank=True, default="", db_default="")
    outcome = models.CharField(
        max_length=16, choices=Outcome.choices, default=Outcome.PENDING, db_index=True
    )
    upstream_status = models.PositiveSmallIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    # A pending or unknown event settled later keeps what it said first and what settled it.
    first_outcome = models.CharField(
        max_length=16, choices=Outcome.choices, blank=True, default="", db_default=""
    )
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.CharField(max_length=300, blank=True, default="", db_default="")
    # The background job a step belongs to (a restore with a safety backup first).
    job_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # The backup plan whose run acted (as its owner), and its name then.
    plan_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    plan_name = models.CharField(max_length=100, blank=True, default="", db_default="")
    # The plan's run, and who pressed "Run now" for it (the run acts as the plan's owner).
    plan_run_id = models.BigIntegerField(null=True, blank=True)
    run_now_by = models.CharField(max_length=150, blank=True, default="", db_default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        permissions = [("view_all_events", _("Can view everyone's audit events"))]
        indexes = [models.Index(fields=["actor_username", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("An audit event is written once; it changes only by moving on.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")

    @property
    def open(self) -> bool:
        """Still waiting to be told how it ended (pending), or told that nobody knows."""
        return self.outcome in (Outcome.PENDING, Outcome.UNKNOWN)
