from django.apps import AppConfig


class SandboxAppConfig(AppConfig):
    name = "backupsui.sandbox"
    label = "sandbox"
    verbose_name = "Sandbox Backups API"
