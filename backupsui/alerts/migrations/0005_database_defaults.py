"""A database default for `on_odd` on databases whose 0004 added it without one: 0.2.0's code
writes subscriptions without it while the replicas roll; kept when migrating back."""

from django.db import migrations

from backupsui.expand import DatabaseDefault


class Migration(migrations.Migration):
    dependencies = [("alerts", "0004_subscription_on_odd")]

    operations = [DatabaseDefault("subscription", "on_odd")]
