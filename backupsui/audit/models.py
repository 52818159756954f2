from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    BACKUP_CREATE = "backup_create", _("Backup created")
    BACKUP_DELETE = "backup_delete", _("Backup deleted")
    SERVER_RESTORE = "server_restore", _("Server restored")
    TOKEN_SET = "token_set", _("API token set")
    TOKEN_REMOVED = "token_removed", _("API token removed")
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    PERMISSION_DENIED = "permission_denied", _("Permission denied")


class Outcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
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
    ("outcome", "outcome"),
    ("upstream_status", "upstream status"),
    ("message", "message"),
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
        raise AppendOnlyError("Audit events are changed only by finishing a pending one.")

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
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    upstream_status = models.PositiveSmallIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        permissions = [("view_all_events", _("Can view everyone's audit events"))]
        indexes = [models.Index(fields=["actor_username", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None and self._state.adding is False:
            stored = type(self).objects.filter(pk=self.pk).values_list("outcome", flat=True).first()
            if stored != Outcome.PENDING:
                raise AppendOnlyError("A finished audit event cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")
