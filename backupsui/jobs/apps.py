from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "backupsui.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

    def ready(self):
        from . import (
            holding,  # noqa: F401  (the open jobs hold their servers)
            reporting,  # noqa: F401  (the report counts a job as one restore)
        )
