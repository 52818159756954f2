"""Events that do not know how they ended, settled later:

- a pending event older than twice the API's time limit was interrupted (a worker killed,
  the database gone mid-call): nobody will finish it, so it becomes unknown. The periodic
  round does this (and `manage.py settle_audit`, and a job for its own step's event);
- whenever the panel fetches a person's list, their unknown requested backups that now
  appear in it (same server, manual, same description, taken after the request began) were
  accepted, and their unknown deletions whose backup is gone were accepted too. A restore
  stays unknown: no list can tell whether a server was restored.

Each settlement keeps the first outcome and says what settled it."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from backupsui.upstream import Backup

from .models import Action, AuditEvent, Outcome
from .recorder import settle

# The API's clock and ours may differ a little, and it may drop fractions of a second.
CLOCK_SKEW = timedelta(seconds=5)


def interrupted_before():
    """Pending events begun before this can no longer be finished by their request."""
    return timezone.now() - timedelta(seconds=2 * settings.BACKUPS_API_TIMEOUT)


def settle_interrupted(events=None) -> int:
    events = AuditEvent.objects.all() if events is None else events
    why = "interrupted: no answer was recorded within twice the API's time limit (%gs)" % (
        2 * settings.BACKUPS_API_TIMEOUT
    )
    stale = events.filter(outcome=Outcome.PENDING, created_at__lt=interrupted_before())
    return sum(settle(event, Outcome.UNKNOWN, why) for event in stale)


def settle_from_list(user, backups: list[Backup], complete: bool = True) -> int:
    """What a person's freshly fetched list says about their open events. `complete` is
    false when the API sent fewer backups than it counted: nothing is taken as gone then."""
    mine = AuditEvent.objects.filter(actor=user)
    settled = 0
    unknown = list(
        mine.filter(
            outcome=Outcome.UNKNOWN,
            action__in=(Action.BACKUP_REQUESTED, Action.BACKUP_DELETED),
        ).order_by("created_at")
    )
    if not unknown:
        return settled
    by_id = {backup.id: backup for backup in backups}
    taken = set(
        mine.filter(action=Action.BACKUP_REQUESTED, backup_id__isnull=False)
        .exclude(outcome=Outcome.UNKNOWN)
        .values_list("backup_id", flat=True)
    )
    for event in unknown:
        if event.action == Action.BACKUP_DELETED:
            if complete and event.backup_id is not None and event.backup_id not in by_id:
                why = f"the list no longer held backup {event.backup_id}"
                settled += settle(event, Outcome.ACCEPTED, why)
            continue
        found = _requested(event, backups, taken)
        if found is not None:
            taken.add(found.id)
            why = f"the list showed backup {found.id}, taken {found.created_at:%Y-%m-%d %H:%M:%S}"
            settled += settle(event, Outcome.ACCEPTED, why, backup_id=found.id)
    return settled


def _requested(event: AuditEvent, backups: list[Backup], taken: set) -> Backup | None:
    """The backup this request made, if the list shows one that can only be it."""
    if event.backup_id is not None:
        return next((b for b in backups if b.id == event.backup_id), None)
    began = event.created_at - CLOCK_SKEW
    candidates = [
        b
        for b in backups
        if b.server.id == event.server_id
        and b.backup_type == "manual"
        and b.description == event.backup_description
        and b.created_at >= began
        and b.id not in taken
    ]
    return min(candidates, key=lambda b: b.created_at) if candidates else None
