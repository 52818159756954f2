from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="lists_version",
            # With its database default from the start: 0.1.0's code, still running while
            # this runs, writes tokens without it (0007 gives it to databases that had this).
            field=models.BigIntegerField(default=0, db_default=0),
        ),
    ]
