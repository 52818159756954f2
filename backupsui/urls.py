from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from . import views
from .metrics.views import metrics

# The admin signs in through the panel's sign-in (second factors included), never its own form.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="backups:list", permanent=False)),
    path("", include("backupsui.accounts.identity_urls")),
    path("", include("backupsui.accounts.urls")),
    path("", include("backupsui.backups.urls")),
    path("", include("backupsui.audit.urls")),
    path("", include("backupsui.jobs.urls")),
    path("", include("backupsui.alerts.urls")),
    path("", include("backupsui.plans.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
]

handler403 = "backupsui.views.permission_denied"
handler500 = "backupsui.views.server_error"
