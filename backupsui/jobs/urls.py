from django.urls import path

from backupsui import ids  # noqa: F401  (registers <id:...>)

from . import bulk_views, views

app_name = "jobs"

urlpatterns = [
    path("jobs/<id:job_id>/", views.job_detail, name="detail"),
    path("jobs/<id:job_id>/cancel/", views.job_cancel, name="cancel"),
    path("servers/backup/", bulk_views.bulk_backup, name="bulk_backup"),
    path("servers/backup/<id:bulk_id>/", bulk_views.bulk_results, name="bulk"),
]
