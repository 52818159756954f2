from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [path("account/alerts/", views.alerts, name="settings")]
