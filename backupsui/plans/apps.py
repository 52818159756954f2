from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "backupsui.plans"
    label = "plans"
    verbose_name = "Backup plans"
