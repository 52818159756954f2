from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "backupsui.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self):
        from django.core.signals import request_finished

        from backupsui import logs

        from . import signals  # noqa: F401  (connects the sign-in receivers)

        request_finished.connect(logs.end, dispatch_uid="backupsui.logs.end")
