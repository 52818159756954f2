from django.db import migrations, models


class Migration(migrations.Migration):
    """Expand only: a nullable time and two columns with database defaults, so the previous
    release keeps writing tokens while replicas roll."""

    dependencies = [("accounts", "0006_weekly_report")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="list_failed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="list_failure",
            field=models.CharField(blank=True, db_default="", default="", max_length=20),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="list_failures",
            field=models.PositiveBigIntegerField(db_default=0, default=0),
        ),
    ]
