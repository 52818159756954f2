from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "backupsui.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

    def ready(self):
        from . import (
            followup,  # noqa: F401  (a finished job's safety backup, in its owner's lists)
            holding,  # noqa: F401  (the open jobs hold their servers)
            reporting,  # noqa: F401  (the report counts a job as one restore)
        )
