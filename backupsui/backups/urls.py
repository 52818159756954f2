from django.urls import path

from backupsui import ids  # noqa: F401  (registers <id:...>)

from . import views

app_name = "backups"

urlpatterns = [
    path("backups/", views.backup_list, name="list"),
    path("backups/poll/", views.poll, name="poll"),
    path("backups/new/", views.backup_create, name="create"),
    path("backups/<id:backup_id>/delete/", views.backup_delete, name="delete"),
    path("servers/", views.server_list, name="servers"),
    path("servers/export.csv", views.server_export, name="servers_export"),
]
