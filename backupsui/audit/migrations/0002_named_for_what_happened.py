"""Actions named for what the panel did, outcomes for what the API said, the backup as it was
shown, and room for settling an event later. Existing events are renamed in place."""

from django.db import migrations, models

ACTIONS = {
    "backup_create": "backup_requested",
    "backup_delete": "backup_deleted",
    "server_restore": "restore_requested",
}
REFUSALS = ("sign_in_failed", "permission_denied")


def rename(apps, schema_editor):
    events = apps.get_model("audit", "AuditEvent").objects
    for old, new in ACTIONS.items():
        events.filter(action=old).update(action=new)
    events.filter(outcome="succeeded").update(outcome="accepted")
    failed = events.filter(outcome="failed")
    failed.filter(action__in=REFUSALS).update(outcome="refused")
    failed.filter(upstream_status__gte=400, upstream_status__lt=500).exclude(
        upstream_status=429
    ).update(outcome="refused")


def unrename(apps, schema_editor):
    events = apps.get_model("audit", "AuditEvent").objects
    for old, new in ACTIONS.items():
        events.filter(action=new).update(action=old)
    events.filter(outcome="accepted").update(outcome="succeeded")
    events.filter(outcome="refused").update(outcome="failed")


OUTCOMES = [
    ("pending", "Pending"),
    ("accepted", "Accepted"),
    ("refused", "Refused"),
    ("failed", "Failed"),
    ("unknown", "Unknown"),
]


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.AddField(
            "auditevent", "backup_created_at", models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            "auditevent", "backup_type", models.CharField(blank=True, max_length=40)
        ),
        migrations.AddField(
            "auditevent", "backup_size_mb", models.FloatField(blank=True, null=True)
        ),
        migrations.AddField(
            "auditevent", "backup_status", models.CharField(blank=True, max_length=40)
        ),
        migrations.AddField(
            "auditevent", "backup_description", models.CharField(blank=True, max_length=255)
        ),
        migrations.AddField(
            "auditevent",
            "first_outcome",
            models.CharField(blank=True, choices=OUTCOMES, max_length=16),
        ),
        migrations.AddField(
            "auditevent", "settled_at", models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            "auditevent", "settled_by", models.CharField(blank=True, max_length=300)
        ),
        migrations.RunPython(rename, unrename),
        migrations.AlterField(
            "auditevent",
            "action",
            models.CharField(
                choices=[
                    ("backup_requested", "Backup requested"),
                    ("backup_deleted", "Backup deleted"),
                    ("restore_requested", "Restore requested"),
                    ("token_set", "API token set"),
                    ("token_removed", "API token removed"),
                    ("sign_in", "Signed in"),
                    ("sign_in_failed", "Sign-in failed"),
                    ("permission_denied", "Permission denied"),
                    ("roles_changed", "Roles changed"),
                    ("user_deactivated", "User deactivated"),
                ],
                db_index=True,
                max_length=32,
            ),
        ),
        migrations.AlterField(
            "auditevent",
            "outcome",
            models.CharField(choices=OUTCOMES, db_index=True, default="pending", max_length=16),
        ),
    ]
