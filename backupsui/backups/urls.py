from django.urls import path

from backupsui import ids  # noqa: F401  (registers <id:...>)

from .views import changes, lists, servers

app_name = "backups"

urlpatterns = [
    path("backups/", lists.backup_list, name="list"),
    path("backups/poll/", lists.poll, name="poll"),
    path("backups/export.csv", lists.backup_export, name="export"),
    path("backups/new/", changes.backup_create, name="create"),
    path("backups/<id:backup_id>/delete/", changes.backup_delete, name="delete"),
    path("servers/", servers.server_list, name="servers"),
    path("servers/export.csv", servers.server_export, name="servers_export"),
    path("servers/<id:server_id>/restore/", changes.server_restore, name="restore"),
]
