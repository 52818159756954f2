from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "backupsui.plans"
    label = "plans"
    verbose_name = "Backup plans"

    def ready(self) -> None:
        # The backups pages (a floor below) show the plans covering servers, whose health
        # follows them, and the plan and kept mark of each backup.
        from backupsui.backups.plan_facts import facts_from

        from . import pausing  # noqa: F401  (a stored token takes its plans up again)
        from .facts import Facts

        facts_from(Facts())
