"""What this app tells the backups pages (backups/plan_facts.py): the plans covering servers
and the marks of backups, each in the backups floor's own terms."""

from django.db.models import CharField, F, IntegerField, Value

from backupsui.backups.plan_facts import Cover, Mark
from backupsui.compiled import Compiled

from .coverage import covering as plans_covering
from .models import KeptBackup, PlanBackup


def _marks_of(backup_ids):
    made = PlanBackup.objects.filter(backup_id__in=backup_ids).values_list(
        "backup_id", "plan_id", F("plan__name")
    )
    kept = KeptBackup.objects.filter(backup_id__in=backup_ids).values_list(
        "backup_id",
        Value(None, output_field=IntegerField()),
        Value(None, output_field=CharField()),
    )
    return made.order_by().union(kept.order_by(), all=True)


# Asked for the fifty backups of every list page: compiled once (backupsui.compiled).
_marks = Compiled(_marks_of)


class Facts:
    def covering(self, servers: dict[int, str]) -> dict[int, list[Cover]]:
        return {
            server_id: [Cover(c.plan.pk, c.plan.name, c.period, c.next) for c in found]
            for server_id, found in plans_covering(servers).items()
        }

    def marks(self, backup_ids: list[int]) -> dict[int, Mark]:
        """The plan that made each backup and whether it is kept, in one query (a backup
        comes once per plan that made it and once if kept)."""
        found: dict[int, Mark] = {}
        for backup_id, plan_id, name in _marks.rows(list(backup_ids)):
            was = found.get(backup_id, Mark())
            if plan_id is None:
                found[backup_id] = Mark(was.plan_id, was.plan_name, kept=True)
            else:
                found[backup_id] = Mark(plan_id, name, was.kept)
        return found
