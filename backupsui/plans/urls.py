from django.urls import path

from backupsui import ids  # noqa: F401  (registers <id:...>)

from . import views

app_name = "plans"

urlpatterns = [
    path("plans/", views.plan_list, name="list"),
    path("plans/new/", views.plan_new, name="new"),
    path("plans/preview/", views.plan_previews, name="previews"),
    path("plans/<id:plan_id>/", views.plan_detail, name="detail"),
    path("plans/<id:plan_id>/edit/", views.plan_edit, name="edit"),
    path("plans/<id:plan_id>/delete/", views.plan_delete, name="delete"),
    path("plans/<id:plan_id>/run/", views.plan_run_now, name="run"),
    path("plans/<id:plan_id>/resume/", views.plan_resume, name="resume"),
    path("backups/<id:backup_id>/kept/", views.backup_kept, name="kept"),
]
