"""A finished job's safety backup, followed in its owner's fresh lists: a job that stopped
while its safety backup was still being taken (the token refused while the API restarted,
say) shows how that backup ended, or that the list no longer has it, instead of "in
progress" for ever."""

from backupsui.backups.account import after_fetch
from backupsui.upstream import IN_PROGRESS

from .models import Job


@after_fetch
def follow_safety_backups(user, fresh) -> None:
    ended = Job.objects.filter(
        user=user, safety_backup_id__isnull=False, safety_status=IN_PROGRESS
    ).exclude(state__in=Job.OPEN)
    for job in ended.only("pk", "server_id", "safety_backup_id"):
        backup = fresh.find(job.safety_backup_id)
        if backup is not None and backup.server.id == job.server_id:
            status = backup.status or ""
        elif fresh.short:
            continue  # the API sent less than it counted: absent says nothing
        else:
            status = Job.GONE
        if status != IN_PROGRESS:
            Job.objects.filter(pk=job.pk, safety_status=IN_PROGRESS).update(safety_status=status)
