from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "backupsui.alerts"
    label = "alerts"
    verbose_name = "Alerts"
