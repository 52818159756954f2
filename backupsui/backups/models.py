from django.db import models
from django.utils.translation import gettext_lazy as _


class BackupsAccess(models.Model):
    """No table: only the permissions that the roles are made of."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_backups", _("Can view backups")),
            ("create_backup", _("Can create backups")),
            ("delete_backup", _("Can delete backups")),
            ("restore_server", _("Can restore servers from backups")),
        ]

    def __str__(self) -> str:
        return "backups access"
