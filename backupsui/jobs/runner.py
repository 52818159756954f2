"""Carrying a restore job forward, one step at a time, in a background worker.

1. a manual backup of the server (the safety backup), described so a person can tell it;
2. waiting until the list shows it completed (looking every BACKUPSUI_JOB_LOOK_SECONDS, giving up
   after BACKUPSUI_SAFETY_WAIT_MINUTES);
3. only then the restore from the chosen backup.

Each upstream call is audited before it is made, and the job points at that event at once:
a step that finds its event already there never calls again. It reads the event instead:
pending means a worker died mid-call (wait until it is settled as interrupted), unknown
is settled from the list (a safety backup that appears there was made) before anything is
repeated, and a restore whose outcome is unknown is never sent twice. The job acts with
the person's token as it is when the step runs, never with a token of its own."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from backupsui.audit.actors import Actor
from backupsui.audit.models import Outcome
from backupsui.audit.settle import settle_interrupted
from backupsui.backups import commands
from backupsui.backups.account import Account, NoToken, UnreadableToken, account_for
from backupsui.upstream import UpstreamError
from backupsui.words import Sentence

from .models import Job

State = Job.State


def safety_description(backup_id: int, username: str) -> str:
    """What the safety backup is called upstream (data, like a log line: not translated)."""
    return f"Safety backup before restoring from backup {backup_id} (requested by {username})"[:255]


def lease_for() -> timedelta:
    """How long a step's lease on a job lasts: longer than a step can take (one change and one
    list, each within the API's time limit), so a live worker is never overtaken; a dead one's
    lease runs out soon after."""
    return timedelta(seconds=2 * settings.BACKUPS_API_TIMEOUT + 5)


def lease(job_id: int) -> Job | None:
    """The job, leased to this worker; None when it is finished or another worker has it."""
    now = timezone.now()
    free = Q(held_until__isnull=True) | Q(held_until__lt=now)
    taken = Job.objects.filter(free, pk=job_id, state__in=Job.OPEN).update(
        held_until=now + lease_for()
    )
    return Job.objects.select_related("user").get(pk=job_id) if taken else None


def advance(job_id: int) -> Job | None:
    """Moves the job on as far as it can go now; returns it (None if not leased)."""
    job = lease(job_id)
    if job is None:
        return None
    try:
        _step(job)
    finally:
        Job.objects.filter(pk=job.pk).update(held_until=None)
    return job


def _move(job: Job, was, **values) -> bool:
    """Changes the job only if it is still in state `was` (a Cancel may have come first)."""
    moved = Job.objects.filter(pk=job.pk, state=was).update(**values)
    if moved:
        for name, value in values.items():
            setattr(job, name, value)
    return bool(moved)


def _stop(job: Job, why: str, **values) -> None:
    """The job ends without a restore, saying why (kept in English, shown translated)."""
    said = Sentence(why, **values).dumps()
    _move(job, job.state, state=State.FAILED, detail=said, finished_at=timezone.now())


def look_every() -> timedelta:
    return timedelta(seconds=settings.BACKUPSUI_JOB_LOOK_SECONDS)


def _later(job: Job) -> None:
    _move(job, job.state, next_look_at=timezone.now() + look_every())


def _step(job: Job) -> None:
    if job.state == State.QUEUED:
        _move(job, State.QUEUED, state=State.BACKING_UP)
    # The person must still be allowed to restore when each step runs, not only when asked.
    user = type(job.user).objects.get(pk=job.user_id)
    if not user.is_active or not user.has_perm("backups.restore_server"):
        return _stop(
            job,
            _(
                "The person who asked may no longer restore servers, so the job stopped; "
                "the restore was not sent."
            ),
        )
    try:
        account = account_for(job.user)
    except UnreadableToken:
        return _stop(
            job,
            _(
                "Your stored token can no longer be read (the keys changed), so the job "
                "stopped; the restore was not sent. Store it again."
            ),
        )
    except NoToken:
        return _stop(
            job, _("Your API token is gone, so the job stopped; the restore was not sent.")
        )
    try:
        if job.state == State.BACKING_UP:
            _back_up(job, account)
        if job.state == State.WAITING:
            _wait(job, account)
        if job.state == State.RESTORING:
            _restore(job, account)
    except UpstreamError as error:
        if error.token_refused:
            return _stop(
                job,
                _("Your API token was refused, so the job stopped; the restore was not sent."),
            )
        _later(job)  # the API is unwell: look again in a moment


class _Link:
    """Points the job at a step's audit event as soon as it is written (before the call)."""

    def __init__(self, job: Job, field: str):
        self.job, self.field = job, field

    def attach(self, event) -> None:
        setattr(self.job, self.field, event)
        Job.objects.filter(pk=self.job.pk).update(**{self.field: event})


def _back_up(job: Job, account: Account) -> None:
    event = job.safety_event
    if event is None:
        if not _move(job, State.BACKING_UP, safety_requested_at=timezone.now()):
            return  # cancelled meanwhile: nothing was sent
        try:
            created = commands.request_backup(
                account,
                Actor.for_job(job.user, job.pk),
                job.server_id,
                job.safety_description,
                _Link(job, "safety_event"),
            )
        except UpstreamError:
            event = job.safety_event
            event.refresh_from_db()
        else:
            _move(job, State.BACKING_UP, state=State.WAITING, safety_backup_id=created.backup.id)
            return _later(job)
    _settle(event, account)
    if event.outcome == Outcome.ACCEPTED and event.backup_id:
        _move(job, State.BACKING_UP, state=State.WAITING, safety_backup_id=event.backup_id)
        return _later(job)
    if event.outcome in (Outcome.REFUSED, Outcome.FAILED):
        return _stop(
            job,
            _("The safety backup was not made (%(why)s), so the restore was not sent."),
            why=event.message,
        )
    if _too_long(job):
        return _stop(
            job,
            _(
                "Nobody can tell whether the safety backup was started, and it never "
                "appeared in the list, so the restore was not sent."
            ),
        )
    _later(job)  # pending (a worker died mid-call) or unknown: the list will tell


def _settle(event, account: Account) -> None:
    """Brings an open event up to date: interrupted if its call died, and whatever a fresh
    list of the person's backups says (fetching it settles their unknown requests)."""
    event.refresh_from_db()
    if event.outcome == Outcome.PENDING:
        settle_interrupted(type(event).objects.filter(pk=event.pk))
        event.refresh_from_db()
    if event.outcome == Outcome.UNKNOWN:
        account.backups()
        event.refresh_from_db()


def _too_long(job: Job) -> bool:
    since = job.safety_requested_at or job.created_at
    return timezone.now() - since > timedelta(minutes=settings.BACKUPSUI_SAFETY_WAIT_MINUTES)


def _wait(job: Job, account: Account) -> None:
    safety = account.backups().find(job.safety_backup_id)
    if safety is None or safety.server.id != job.server_id:
        _move(job, State.WAITING, safety_status=Job.GONE)
        return _stop(
            job,
            _("The safety backup disappeared from the list, so the restore was not sent."),
        )
    _move(job, State.WAITING, safety_status=safety.status)
    if safety.completed:
        _move(job, State.WAITING, state=State.RESTORING)
    elif safety.in_progress:
        if _too_long(job):
            return _stop(
                job,
                _(
                    "The safety backup did not complete within %(minutes)s minutes, so "
                    "the restore was not sent."
                ),
                minutes=f"{settings.BACKUPSUI_SAFETY_WAIT_MINUTES:g}",
            )
        _later(job)
    elif safety.status == "failed":
        _stop(job, _("The safety backup failed, so the restore was not sent."))
    else:
        _stop(
            job,
            _("The safety backup ended %(status)s, so the restore was not sent."),
            status=safety.status or "?",
        )


def _restore(job: Job, account: Account) -> None:
    event = job.restore_event
    if event is None:
        backup = account.find(job.backup_id)
        if backup is None or backup.server.id != job.server_id:
            return _stop(job, _("The backup to restore from is no longer in the list."))
        try:
            event = commands.restore_server(
                account, Actor.for_job(job.user, job.pk), backup, _Link(job, "restore_event")
            )
        except UpstreamError:
            event = job.restore_event
    _settle(event, account)
    now = timezone.now()
    if event.outcome == Outcome.ACCEPTED:
        said = Sentence.verbatim(event.message).dumps()
        _move(job, State.RESTORING, state=State.DONE, detail=said, finished_at=now)
    elif event.outcome == Outcome.UNKNOWN:
        why = (
            Sentence(
                _("The restore was sent, but how it ended is unknown: %(why)s"), why=event.message
            )
            if event.message
            else Sentence(
                _(
                    "The restore was sent, but how it ended is unknown: the worker stopped "
                    "before the answer was recorded."
                )
            )
        )
        _move(job, State.RESTORING, state=State.DONE, detail=why.dumps(), finished_at=now)
    elif event.outcome == Outcome.REFUSED:
        _stop(job, _("The restore was refused: %(why)s"), why=event.message)
    elif event.outcome == Outcome.FAILED:
        # It never reached the API: try again in a moment, within the job's time.
        if _too_long(job):
            return _stop(job, _("The restore could not be sent: %(why)s"), why=event.message)
        _move(job, State.RESTORING, restore_event=None, next_look_at=now + look_every())
    else:
        _later(job)  # pending: a worker died mid-call; it will be settled as interrupted


def stalled_after() -> timedelta:
    """How late a look may be before the job counts as stalled: six looks (a minute at the
    default pace)."""
    return 6 * look_every()


def stalled(grace: timedelta | None = None):
    """Open jobs nobody moved on in time (a worker was killed mid-step, say): not held, and
    their next look overdue by `grace` (stalled_after() unless given)."""
    now = timezone.now()
    grace = stalled_after() if grace is None else grace
    free = Q(held_until__isnull=True) | Q(held_until__lt=now)
    return Job.objects.filter(free, state__in=Job.OPEN, next_look_at__lt=now - grace)
