from django.urls import path

from backupsui import ids  # noqa: F401  (registers <id:...>)

from . import views

app_name = "jobs"

urlpatterns = [
    path("jobs/", views.job_list, name="list"),
    path("jobs/<id:job_id>/", views.job_detail, name="detail"),
    path("jobs/<id:job_id>/cancel/", views.job_cancel, name="cancel"),
]
