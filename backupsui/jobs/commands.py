"""Starting a restore job: the job, its audit event, and its first look queued."""

from backupsui.audit.actors import Actor
from backupsui.audit.models import Action
from backupsui.audit.recorder import joined, note
from backupsui.backups import restores
from backupsui.backups.commands import as_shown
from backupsui.upstream import Backup

from . import runner, tasks
from .models import Job


def start_safe_restore(actor: Actor, backup: Backup, key=None, anyway: bool = False) -> Job:
    """A restore of the backup's server that takes a safety backup first, for `actor.user`
    and with their token as it is when each step runs. Raises RestoreBusy while another
    restore of the server is under way, unless `anyway` (then the audit trail says so) or it
    undoes that restore (from its job's safety backup: the audit trail says that too)."""
    user = actor.user
    with restores.claim(backup.server.id, anyway, backup.id) as overridden:
        job = Job.objects.create(
            user=user,
            server_id=backup.server.id,
            server_name=backup.server.name[:255],
            backup_id=backup.id,
            backup_created_at=backup.created_at,
            safety_description=runner.safety_description(backup.id, user.get_username()),
        )
        said = overridden.anyway_note() if overridden is not None else ""
        event = note(
            actor,
            Action.SAFE_RESTORE_REQUESTED,
            **as_shown(backup),
            job_id=job.pk,
            message=joined(said, job.safety_description),
        )
    if key is not None:
        key.attach(event)
    tasks.start(job)
    return job
