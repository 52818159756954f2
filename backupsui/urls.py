from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from . import views
from .accounts.views import SignInView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="backups:list", permanent=False)),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("backupsui.accounts.urls")),
    path("", include("backupsui.backups.urls")),
    path("", include("backupsui.audit.urls")),
    path("", include("backupsui.jobs.urls")),
    path("", include("backupsui.alerts.urls")),
    path("", include("backupsui.plans.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]

handler403 = "backupsui.views.permission_denied"
