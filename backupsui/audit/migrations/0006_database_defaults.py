"""Database defaults for the columns added since 0.1.0: an earlier release's code writes events
without them while the replicas roll (expand, then contract); kept when migrating back."""

from django.db import migrations, models

from backupsui.expand import Expand


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0005_third_wave"),
    ]

    operations = [
        Expand(
            migrations.AlterField(
                model_name="auditevent",
                name="backup_description",
                field=models.CharField(blank=True, db_default="", default="", max_length=255),
            )
        ),
        Expand(
            migrations.AlterField(
                model_name="auditevent",
                name="backup_status",
                field=models.CharField(blank=True, db_default="", default="", max_length=40),
            )
        ),
        Expand(
            migrations.AlterField(
                model_name="auditevent",
                name="backup_type",
                field=models.CharField(blank=True, db_default="", default="", max_length=40),
            )
        ),
        Expand(
            migrations.AlterField(
                model_name="auditevent",
                name="first_outcome",
                field=models.CharField(
                    blank=True,
                    choices=[
                        ("pending", "Pending"),
                        ("accepted", "Accepted"),
                        ("refused", "Refused"),
                        ("failed", "Failed"),
                        ("unknown", "Unknown"),
                    ],
                    db_default="",
                    default="",
                    max_length=16,
                ),
            )
        ),
        Expand(
            migrations.AlterField(
                model_name="auditevent",
                name="plan_name",
                field=models.CharField(blank=True, db_default="", default="", max_length=100),
            )
        ),
        Expand(
            migrations.AlterField(
                model_name="auditevent",
                name="settled_by",
                field=models.CharField(blank=True, db_default="", default="", max_length=300),
            )
        ),
    ]
