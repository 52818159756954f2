"""A database default for `on_odd`, which 0.2.0's code does not write while the replicas roll;
kept when migrating back."""

from django.db import migrations, models

from backupsui.expand import Expand


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0004_subscription_on_odd"),
    ]

    operations = [
        Expand(
            migrations.AlterField(
                model_name="subscription",
                name="on_odd",
                field=models.BooleanField(
                    db_default=False, default=False, verbose_name="when a backup's size is odd"
                ),
            )
        ),
    ]
