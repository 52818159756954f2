from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "backupsui.sandbox"
    label = "sandbox"
    verbose_name = "Sandbox Backups API"
