from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "backupsui.backups"
    label = "backups"
    verbose_name = "Backups"
