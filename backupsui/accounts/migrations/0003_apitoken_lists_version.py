from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="lists_version",
            field=models.BigIntegerField(default=0),
        ),
    ]
