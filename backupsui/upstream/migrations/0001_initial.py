"""The calls to the Backups API and the breaker's openings, counted by every process for
/metrics; kept when migrating back."""

from django.db import migrations, models

from backupsui.expand import Expand


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        Expand(
            migrations.CreateModel(
                name="BreakerOpening",
                fields=[
                    (
                        "id",
                        models.BigAutoField(
                            auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                        ),
                    ),
                    ("name", models.CharField(max_length=40, unique=True)),
                    ("count", models.BigIntegerField(default=0)),
                    ("last_at", models.DateTimeField(blank=True, null=True)),
                ],
            )
        ),
        Expand(
            migrations.CreateModel(
                name="CallCount",
                fields=[
                    (
                        "id",
                        models.BigAutoField(
                            auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                        ),
                    ),
                    ("call", models.CharField(max_length=32)),
                    ("outcome", models.CharField(max_length=16)),
                    ("count", models.BigIntegerField(default=0)),
                    ("seconds", models.FloatField(default=0)),
                    ("last_at", models.DateTimeField(blank=True, null=True)),
                    ("le_0_05", models.BigIntegerField(default=0)),
                    ("le_0_1", models.BigIntegerField(default=0)),
                    ("le_0_25", models.BigIntegerField(default=0)),
                    ("le_0_5", models.BigIntegerField(default=0)),
                    ("le_1", models.BigIntegerField(default=0)),
                    ("le_2_5", models.BigIntegerField(default=0)),
                    ("le_5", models.BigIntegerField(default=0)),
                    ("le_10", models.BigIntegerField(default=0)),
                    ("le_30", models.BigIntegerField(default=0)),
                ],
                options={
                    "constraints": [
                        models.UniqueConstraint(
                            fields=("call", "outcome"), name="one_count_per_call_outcome"
                        )
                    ],
                },
            )
        ),
    ]
