from django.db import migrations, models

from backupsui.expand import Expand


class Migration(migrations.Migration):
    """Expand only: a nullable time and two columns with database defaults, so the previous
    release keeps writing tokens while replicas roll; kept when migrating back."""

    dependencies = [("accounts", "0008_shared_cache")]

    operations = [
        Expand(
            migrations.AddField(
                model_name="apitoken",
                name="list_failed_at",
                field=models.DateTimeField(blank=True, null=True),
            ),
        ),
        Expand(
            migrations.AddField(
                model_name="apitoken",
                name="list_failure",
                field=models.CharField(blank=True, db_default="", default="", max_length=20),
            ),
        ),
        Expand(
            migrations.AddField(
                model_name="apitoken",
                name="list_failures",
                field=models.PositiveBigIntegerField(db_default=0, default=0),
            ),
        ),
    ]
