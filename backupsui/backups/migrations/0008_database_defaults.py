"""A database default for when a server was last seen, on databases whose 0004 added it
without one: 0.2.0's code writes servers seen without it while the replicas roll; kept when
migrating back."""

from django.db import migrations

from backupsui.expand import DatabaseDefault


class Migration(migrations.Migration):
    dependencies = [("backups", "0007_restore_lock")]

    operations = [DatabaseDefault("seenserver", "last_seen_at")]
