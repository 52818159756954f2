"""Events recorded before 0.2.0 renamed in place: actions named for what the panel did,
outcomes for what the API said. Rows only: the columns and the index are 0002's.

Running it again finds nothing to do (the panel has written only the new names since 0.2.0,
and a 4xx answer or a refused sign-in has been `refused` from the start), so a database that
renamed its events in the old 0002 is left as it is.

Migrating back renames nothing: 0.2.0, the release before, writes and reads these names
itself, and the rows the newer release recorded must stay as they were recorded (renaming
every row back, as this migration once did, made 0.2.0's filter for restores find none)."""

from django.db import migrations

ACTIONS = {
    "backup_create": "backup_requested",
    "backup_delete": "backup_deleted",
    "server_restore": "restore_requested",
}
REFUSALS = ("sign_in_failed", "permission_denied")


def rename(apps, schema_editor):
    events = apps.get_model("audit", "AuditEvent").objects
    for old, new in ACTIONS.items():
        events.filter(action=old).update(action=new)
    events.filter(outcome="succeeded").update(outcome="accepted")
    failed = events.filter(outcome="failed")
    failed.filter(action__in=REFUSALS).update(outcome="refused")
    failed.filter(upstream_status__gte=400, upstream_status__lt=500).exclude(
        upstream_status=429
    ).update(outcome="refused")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_jobs")]

    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
