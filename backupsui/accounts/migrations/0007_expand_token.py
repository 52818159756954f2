"""When a stored token stopped being readable (no key decrypts it), and a database default for
the freshness version, which 0.1.0's code does not write; kept when migrating back."""

from django.db import migrations, models

from backupsui.expand import Expand


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_weekly_report"),
    ]

    operations = [
        Expand(
            migrations.AddField(
                model_name="apitoken",
                name="unreadable_since",
                field=models.DateTimeField(blank=True, null=True),
            )
        ),
        Expand(
            migrations.AlterField(
                model_name="apitoken",
                name="lists_version",
                field=models.BigIntegerField(db_default=0, default=0),
            )
        ),
    ]
