from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "backupsui.plans"
    label = "plans"
    verbose_name = "Backup plans"

    def ready(self) -> None:
        # The servers' health (backups, a floor below) follows the plans covering them.
        from backupsui.backups.health import plans_due_from

        from . import pausing  # noqa: F401  (a stored token takes its plans up again)
        from .coverage import due

        plans_due_from(due)
