"""The open restore jobs hold their servers: no other restore of one starts meanwhile
(backups.restores asks here, for every list and servers page: a read compiled once,
backupsui.compiled)."""

from backupsui.backups import restores
from backupsui.compiled import Compiled

from .models import Job

FIELDS = ("server_id", "server_name", "user__username", "created_at", "pk", "user_id")

_open = Compiled(
    lambda: (
        Job.objects.filter(state__in=Job.OPEN)
        .order_by("created_at")
        .values_list(*FIELDS)[: restores.LOOKED_AT]
    )
)


@restores.holds
def open_jobs():
    for server_id, server_name, username, created_at, pk, user_id in _open.rows():
        yield restores.Holder(server_id, server_name, username, created_at, pk, user_id)
