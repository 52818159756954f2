from django.apps import AppConfig


class UpstreamConfig(AppConfig):
    name = "backupsui.upstream"
    label = "upstream"
    verbose_name = "The Backups API"
