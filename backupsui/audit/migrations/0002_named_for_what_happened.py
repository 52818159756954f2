"""Actions named for what the panel did, outcomes for what the API said, the backup as it was
shown, and room for settling an event later: the schema only. Existing events are renamed by
0004_rename_events, in a migration of its own (PostgreSQL refuses to index a table whose rows
changed earlier in the same transaction: "pending trigger events").

Its text columns have database defaults from the start (0.1.0's code, still running while this
runs, writes events without them); 0006 gives them to databases that applied it before.

Until the release after 0.2.0 this migration also renamed the events, between the new columns
and the index. A database that applied it then has its events renamed already; 0004 finds
nothing left to rename there."""

from django.db import migrations, models

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
            "auditevent",
            "backup_type",
            models.CharField(blank=True, max_length=40, default="", db_default=""),
        ),
        migrations.AddField(
            "auditevent", "backup_size_mb", models.FloatField(blank=True, null=True)
        ),
        migrations.AddField(
            "auditevent",
            "backup_status",
            models.CharField(blank=True, max_length=40, default="", db_default=""),
        ),
        migrations.AddField(
            "auditevent",
            "backup_description",
            models.CharField(blank=True, max_length=255, default="", db_default=""),
        ),
        migrations.AddField(
            "auditevent",
            "first_outcome",
            models.CharField(
                blank=True, choices=OUTCOMES, max_length=16, default="", db_default=""
            ),
        ),
        migrations.AddField(
            "auditevent", "settled_at", models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            "auditevent",
            "settled_by",
            models.CharField(blank=True, max_length=300, default="", db_default=""),
        ),
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
