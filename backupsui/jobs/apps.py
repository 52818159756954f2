from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "backupsui.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
