"""Backups marked kept: no plan prunes them and the panel refuses to delete them until
someone releases them. Marking and releasing are audited."""

from django.db import IntegrityError

from backupsui.audit.actors import Actor
from backupsui.audit.models import Action
from backupsui.audit.recorder import note
from backupsui.backups.commands import as_shown
from backupsui.upstream import Backup

from .models import KeptBackup


def is_kept(backup: Backup) -> bool:
    return KeptBackup.objects.filter(backup_id=backup.id, server_id=backup.server.id).exists()


def kept_ids(backups) -> set[int]:
    """Which of these backups are marked kept (one query)."""
    ids = [b.id for b in backups]
    return set(KeptBackup.objects.filter(backup_id__in=ids).values_list("backup_id", flat=True))


def mark(actor: Actor, backup: Backup) -> bool:
    """Marks it kept; False if it was already."""
    try:
        KeptBackup.objects.create(
            backup_id=backup.id, server_id=backup.server.id, marked_by=actor.user
        )
    except IntegrityError:
        return False
    note(actor, Action.BACKUP_KEPT, **as_shown(backup))
    return True


def release(actor: Actor, backup: Backup) -> bool:
    """Releases it; False if it was not marked."""
    gone, _ = KeptBackup.objects.filter(backup_id=backup.id, server_id=backup.server.id).delete()
    if gone:
        note(actor, Action.BACKUP_RELEASED, **as_shown(backup))
    return bool(gone)
