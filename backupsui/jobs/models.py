from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backupsui.audit.models import AuditEvent
from backupsui.backups.restores import seen_servers, sees_server
from backupsui.words import Sentence


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """What `Job.visible_to` allows, as a query: the person's own, every job for those
        who see everyone's audit trail, and the jobs of servers their token has shown them."""
        if user.has_perm("audit.view_all_events"):
            return self
        return self.filter(models.Q(user=user) | models.Q(server_id__in=seen_servers(user)))


class Job(models.Model):
    """A restore with a safety backup first, carried out by background workers step by step:
    each step's upstream call is recorded before it is made, so a worker or a panel killed
    at any moment resumes the job without making any call twice."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        BACKING_UP = "backing_up", _("Taking the safety backup")
        WAITING = "waiting", _("Waiting for the safety backup to complete")
        RESTORING = "restoring", _("Sending the restore")
        DONE = "done", _("Restore sent")
        FAILED = "failed", _("Stopped: the restore was not sent")
        CANCELLED = "cancelled", _("Cancelled: the restore was not sent")

    OPEN = (State.QUEUED, State.BACKING_UP, State.WAITING, State.RESTORING)
    WAITS = (State.QUEUED, State.BACKING_UP, State.WAITING)  # for the safety backup
    # The safety backup's status when the list no longer shows it (the API's are its own).
    GONE = "gone"
    CANCELLABLE = (State.QUEUED, State.BACKING_UP, State.WAITING)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    # What is restored: the server and the backup, as the person confirmed them.
    server_id = models.BigIntegerField()
    server_name = models.CharField(max_length=255, blank=True)
    backup_id = models.BigIntegerField()
    backup_created_at = models.DateTimeField(null=True, blank=True)
    # The safety backup, once asked for.
    safety_description = models.CharField(max_length=255, blank=True)
    safety_requested_at = models.DateTimeField(null=True, blank=True)
    safety_backup_id = models.BigIntegerField(null=True, blank=True)
    safety_status = models.CharField(max_length=40, blank=True)
    safety_event = models.ForeignKey(
        AuditEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    restore_event = models.ForeignKey(
        AuditEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # In words, for the person: why it stopped, or what the restore's answer said (a
    # Sentence, stored in English and shown in the reader's language).
    detail = models.TextField(blank=True)
    # The worker running a step holds the job until then; a worker that died lets go.
    held_until = models.DateTimeField(null=True, blank=True)
    next_look_at = models.DateTimeField(default=timezone.now)
    # The id of the job's one current look (a queued `advance_job` task): any other look of
    # this job, left by a worker that died and came back, ends without queueing another.
    look_task = models.UUIDField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "next_look_at"])]

    def __str__(self) -> str:
        return f"job {self.pk}: restore {self.server_id} from {self.backup_id}"

    @property
    def running(self) -> bool:
        return self.state in self.OPEN

    @property
    def cancellable(self) -> bool:
        return self.state in self.CANCELLABLE

    @property
    def gives_up_at(self):
        """When the job stops waiting for its safety backup (BACKUPSUI_SAFETY_WAIT_MINUTES)."""
        since = self.safety_requested_at or self.created_at
        return since + timedelta(minutes=settings.BACKUPSUI_SAFETY_WAIT_MINUTES)

    @property
    def detail_text(self) -> str:
        return str(Sentence.loads(self.detail))

    @property
    def detail_is_providers(self) -> bool:
        """The detail is the API's own words (what it answered a restore), not the panel's."""
        parts = Sentence.loads(self.detail).parts
        return bool(parts) and all(values is None for _text, values in parts)

    def visible_to(self, user) -> bool:
        """The owner's, everyone's for auditors and operators, and read-only for whoever's
        token sees the server (the same account: they must know a restore is under way)."""
        return (
            self.user_id == user.pk
            or user.has_perm("audit.view_all_events")
            or sees_server(user, self.server_id)
        )


class Schedule(models.Model):
    """When a periodic round (the alerts, the housekeeping) is due next. The scheduler that
    moves `due_at` on queues the round; any other scheduler finds it moved."""

    name = models.CharField(max_length=40, unique=True)
    due_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} due {self.due_at:%Y-%m-%d %H:%M:%S}"


class BulkRequest(models.Model):
    """Many changes from one confirmation: a backup of each chosen server, or the deletion of
    each chosen backup; each audited, each with its own outcome, carried out by a background
    worker. Who asked, from where, is kept for the audit events the worker writes."""

    class Kind(models.TextChoices):
        CREATE = "create", _("Back up servers")
        DELETE = "delete", _("Delete backups")

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CREATE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    description = models.CharField(max_length=255, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"bulk {self.kind} {self.pk} of user {self.user_id}"

    def visible_to(self, user) -> bool:
        return self.user_id == user.pk or user.has_perm("audit.view_all_events")


class BulkItem(models.Model):
    """One server to back up, or one backup to delete. `sending` is written before the call
    (with the audit event tied to it), so a worker killed mid-call never sends it twice."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Unknown")

    OPEN = (State.PENDING, State.SENDING)

    bulk = models.ForeignKey(BulkRequest, on_delete=models.CASCADE, related_name="items")
    server_id = models.BigIntegerField()
    server_name = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    # The backup made (create), or the one to delete (delete).
    backup_id = models.BigIntegerField(null=True, blank=True)
    event = models.ForeignKey(
        AuditEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.TextField(blank=True)  # a Sentence: the API's words or ours

    class Meta:
        ordering = ["server_name", "server_id", "backup_id"]

    def __str__(self) -> str:
        return f"item {self.pk} of bulk {self.bulk_id}"

    @property
    def detail_text(self) -> str:
        return str(Sentence.loads(self.detail))
