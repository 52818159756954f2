"""The open restore jobs hold their servers: no other restore of one starts meanwhile
(backups.restores asks here)."""

from backupsui.backups import restores

from .models import Job


@restores.holds
def open_jobs():
    fields = ("pk", "server_id", "server_name", "user_id", "user__username", "created_at")
    jobs = Job.objects.filter(state__in=Job.OPEN).order_by("created_at")
    for job in jobs.values(*fields)[: restores.LOOKED_AT]:
        yield restores.Holder(
            job["server_id"],
            job["server_name"],
            job["user__username"],
            job["created_at"],
            job["pk"],
            job["user_id"],
        )
