from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="BackupsAccess",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                )
            ],
            options={
                "managed": False,
                "default_permissions": (),
                "permissions": [
                    ("view_backups", "Can view backups"),
                    ("create_backup", "Can create backups"),
                    ("delete_backup", "Can delete backups"),
                    ("restore_server", "Can restore servers from backups"),
                ],
            },
        ),
    ]
