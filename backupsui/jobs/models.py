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
    """When a periodic piece of work (the watch for alerts, the look at stalled jobs) is due
    next. The worker that moves `due_at` on does the work; any other finds it moved."""

    name = models.CharField(max_length=40, unique=True)
    due_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} due {self.due_at:%Y-%m-%d %H:%M:%S}"
