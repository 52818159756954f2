from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("account/alerts/", views.alerts, name="settings"),
    path("account/alerts/apprise/", views.apprise_add, name="apprise_add"),
    path("account/alerts/apprise/<int:pk>/delete/", views.apprise_delete, name="apprise_delete"),
    path("account/alerts/apprise/<int:pk>/test/", views.apprise_test, name="apprise_test"),
]
