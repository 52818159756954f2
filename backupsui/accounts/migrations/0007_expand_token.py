"""When a stored token stopped being readable (no key decrypts it); and a database default for
the freshness version on databases whose 0003 added it without one (0.1.0's code writes
tokens without it). Both kept when migrating back."""

from django.db import migrations, models

from backupsui.expand import DatabaseDefault, Expand


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_weekly_report")]

    operations = [
        Expand(
            migrations.AddField(
                model_name="apitoken",
                name="unreadable_since",
                field=models.DateTimeField(blank=True, null=True),
            )
        ),
        DatabaseDefault("apitoken", "lists_version"),
    ]
