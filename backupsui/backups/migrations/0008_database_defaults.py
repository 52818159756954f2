"""A database default for when a server was last seen, which 0.2.0's code does not write while
the replicas roll; kept when migrating back."""

import django.db.models.functions.datetime
import django.utils.timezone
from django.db import migrations, models

from backupsui.expand import Expand


class Migration(migrations.Migration):
    dependencies = [
        ("backups", "0007_restore_lock"),
    ]

    operations = [
        Expand(
            migrations.AlterField(
                model_name="seenserver",
                name="last_seen_at",
                field=models.DateTimeField(
                    db_default=django.db.models.functions.datetime.Now(),
                    default=django.utils.timezone.now,
                ),
            )
        ),
    ]
