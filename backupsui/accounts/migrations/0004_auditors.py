"""The Auditors role: views backups and everyone's audit trail, changes nothing."""

from django.db import migrations

PERMISSIONS = ["backups.view_backups", "audit.view_all_events"]


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Auditors")
    for perm in PERMISSIONS:
        app_label, codename = perm.split(".")
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Auditors").delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_apitoken_lists_version")]

    operations = [migrations.RunPython(create, remove)]
