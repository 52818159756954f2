from django.urls import path

from backupsui import ids  # noqa: F401  (registers <id:...>)

from . import bulk_views, views

app_name = "jobs"

urlpatterns = [
    path("jobs/", views.job_list, name="list"),
    path("jobs/<id:job_id>/", views.job_detail, name="detail"),
    path("jobs/<id:job_id>/cancel/", views.job_cancel, name="cancel"),
    path("servers/backup/", bulk_views.bulk_backup, name="bulk_backup"),
    path("jobs/bulk/<id:bulk_id>/", bulk_views.bulk_results, name="bulk"),
    path("backups/delete/", bulk_views.bulk_delete, name="bulk_delete"),
]
