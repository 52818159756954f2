import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BackupsAccess(models.Model):
    """No table: only the permissions that the roles are made of."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_backups", _("Can view backups")),
            ("create_backup", _("Can create backups")),
            ("delete_backup", _("Can delete backups")),
            ("restore_server", _("Can restore servers from backups")),
            ("mute_server", _("Can mute a server's alerts")),
        ]

    def __str__(self) -> str:
        return "backups access"


class StaleForm(Exception):
    """A change was posted without a valid one-time key: nothing is done."""


class AlreadySent(Exception):
    """This form was posted before: the first post is what happened."""

    def __init__(self, first: "FormKey"):
        super().__init__("already sent")
        self.first = first


class FormKey(models.Model):
    """A change form's one-time key, claimed by the first POST that carries it. The unique
    key makes a second POST (a double click, a retry, another worker or replica) a no-op
    that shows what the first one did, on SQLite and PostgreSQL alike."""

    LIFETIME = timedelta(days=1)
    SALT = "backupsui.form-key"

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    event = models.ForeignKey(
        "audit.AuditEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"form key of user {self.user_id}"

    @classmethod
    def issue(cls, user, purpose: str) -> str:
        """A key for a form about to be shown: signed, for this person and this kind of
        change only, so only the panel's keys are claimed, and only where they belong."""
        made = [user.pk, purpose, secrets.token_urlsafe(24)]
        return signing.dumps(made, salt=cls.SALT, compress=False)

    @classmethod
    def claim(cls, user, signed: str, purpose: str) -> "FormKey":
        """The key's row, now this POST's; raises StaleForm or AlreadySent."""
        try:
            owner, meant_for, key = signing.loads(
                signed or "", salt=cls.SALT, max_age=cls.LIFETIME.total_seconds()
            )
        except (signing.BadSignature, ValueError, TypeError):
            raise StaleForm from None
        if owner != user.pk or meant_for != purpose:
            raise StaleForm
        now = timezone.now()
        cls.objects.filter(user=user, created_at__lt=now - cls.LIFETIME).delete()
        try:
            with transaction.atomic():
                return cls.objects.create(key=key, user=user, created_at=now)
        except IntegrityError:
            raise AlreadySent(cls.objects.select_related("event").get(key=key)) from None

    @classmethod
    def claimed(cls, signed: str) -> bool:
        """Whether a POST has claimed this key already (a form sent twice)."""
        try:
            _owner, _purpose, key = signing.loads(
                signed or "", salt=cls.SALT, max_age=cls.LIFETIME.total_seconds()
            )
        except (signing.BadSignature, ValueError, TypeError):
            return False
        return cls.objects.filter(key=key).exists()

    def attach(self, event) -> None:
        """The audit event of the change this key was claimed for."""
        self.event = event
        type(self).objects.filter(pk=self.pk).update(event=event)


class SeenServer(models.Model):
    """A server a person's token has shown a backup of. Kept so that a server whose backups
    all failed, expired or were deleted still shows on the servers page, as bad, instead of
    vanishing with its last backup. Tied to the token it was seen with (`token_saved_at`):
    another token may be another account. `last_seen_at` is renewed at most once a day
    (RENEW_EVERY, a write per server a day, not per list); `manage.py prune` removes servers
    not seen for FORGET_AFTER."""

    RENEW_EVERY = timedelta(days=1)
    FORGET_AFTER = timedelta(days=30)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_saved_at = models.DateTimeField()
    server_id = models.BigIntegerField()
    name = models.CharField(max_length=255, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "token_saved_at", "server_id"], name="one_seen_server_per_token"
            )
        ]

    def __str__(self) -> str:
        return f"server {self.server_id} seen by user {self.user_id}"


class ServerState(models.Model):
    """What the panel last saw of one provider server, whichever token showed it (a server
    seen with several tokens is one row): kept by the periodic round and by every fresh list
    (servers_seen.py), read by /metrics and the alerts. Forgotten when no token has shown it
    for BACKUPSUI_FORGET_SERVERS_DAYS. Its health follows the plans covering it (health.py)."""

    server_id = models.BigIntegerField(unique=True)
    name = models.CharField(max_length=255, blank=True)
    # Moved on at most once an hour while seen: a list seen again unchanged writes nothing.
    last_seen_at = models.DateTimeField(db_index=True)
    last_completed_at = models.DateTimeField(null=True, blank=True)
    last_completed_id = models.BigIntegerField(null=True, blank=True)
    last_completed_size_mb = models.FloatField(null=True, blank=True)
    newest_status = models.CharField(max_length=40, blank=True)
    failures_7d = models.PositiveIntegerField(default=0)
    health = models.CharField(max_length=8)
    # The values above in one number (servers_seen.fingerprint): what a new list is compared to.
    fingerprint = models.BigIntegerField(default=0)
    # A mute for maintenance: no alert about this server until then (audited).
    muted_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"server {self.server_id} ({self.health})"

    def muted(self, now) -> bool:
        return self.muted_until is not None and self.muted_until > now


class RestoreLock(models.Model):
    """One row per server ever restored through the panel: whoever starts a restore of the
    server locks it first (a transaction on this row), so of two people, processes or
    replicas starting one at the same moment, the second sees the first's restore."""

    server_id = models.BigIntegerField(unique=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"restore lock of server {self.server_id}"
