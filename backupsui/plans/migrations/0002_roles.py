"""Plans and kept marks in the roles: Operators change them, Support and Auditors read."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ = ["plans.view_plan", "plans.view_keptbackup"]
CHANGE = ["plans.add_plan", "plans.change_plan", "plans.delete_plan", "plans.mark_kept"]
ROLE_PERMISSIONS = {"Operators": READ + CHANGE, "Support": READ, "Auditors": READ}


def _permission(apps, perm):
    app_label, codename = perm.split(".")
    return apps.get_model("auth", "Permission").objects.get(
        content_type__app_label=app_label, codename=codename
    )


def add(apps, schema_editor):
    # Permissions are normally made after all migrations; the groups need them now.
    config = apps.get_app_config("plans")
    config.models_module = True
    create_permissions(config, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*(_permission(apps, perm) for perm in perms))


def remove(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, perms in ROLE_PERMISSIONS.items():
        for group in Group.objects.filter(name=name):
            group.permissions.remove(*(_permission(apps, perm) for perm in perms))


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0001_initial"),
        ("accounts", "0004_auditors"),
    ]

    operations = [migrations.RunPython(add, remove)]
