"""Database defaults for the columns added since 0.1.0, on databases whose columns were added
without them (0002 and 0005 add them with their defaults now): an earlier release's code
writes events without these columns while the replicas roll (expand, then contract); kept
when migrating back."""

from django.db import migrations

from backupsui.expand import DatabaseDefault

COLUMNS = (
    "backup_type",
    "backup_status",
    "backup_description",
    "first_outcome",
    "settled_by",
    "plan_name",
)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_third_wave")]

    operations = [DatabaseDefault("auditevent", name) for name in COLUMNS]
