from django.urls import path

from backupsui import ids  # noqa: F401  (registers <id:...>)

from .views import changes, lists, reports, servers

app_name = "backups"

urlpatterns = [
    path("backups/", lists.backup_list, name="list"),
    path("backups/poll/", lists.poll, name="poll"),
    path("backups/export.csv", lists.backup_export, name="export"),
    path("backups/new/", changes.backup_create, name="create"),
    path("backups/<id:backup_id>/delete/", changes.backup_delete, name="delete"),
    path("servers/", servers.server_list, name="servers"),
    path("servers/export.csv", servers.server_export, name="servers_export"),
    path("servers/<id:server_id>/", servers.server_detail, name="server"),
    path("reports/", reports.report_page, name="report"),
    path("reports/export.csv", reports.report_export, name="report_export"),
    path("reports/weekly/", reports.report_weekly, name="report_weekly"),
    path("servers/<id:server_id>/restore/", changes.server_restore, name="restore"),
    path("servers/<id:server_id>/mute/", servers.server_mute, name="mute"),
]
