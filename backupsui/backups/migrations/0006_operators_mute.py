"""Operators may mute a server's alerts (maintenance)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = {"Operators": ["backups.mute_server"]}


def grant(apps, schema_editor):
    # Permissions are normally made after all migrations; the group needs this one now.
    app_config = apps.get_app_config("backups")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    muting = Permission.objects.filter(content_type__app_label="backups", codename="mute_server")
    for group in Group.objects.filter(name__in=PERMISSIONS):
        group.permissions.remove(*muting)


class Migration(migrations.Migration):
    dependencies = [("backups", "0005_server_state"), ("accounts", "0004_auditors")]

    operations = [migrations.RunPython(grant, revoke)]
