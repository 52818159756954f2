"""What the backups list shows of plans: which plan made each backup on the page, and which
are marked kept (two queries a page, whatever its length)."""

from django import template
from django.utils.translation import gettext as _

from backupsui.plans import coverage
from backupsui.plans import retention as r
from backupsui.plans.models import KeptBackup, PlanBackup

register = template.Library()


@register.simple_tag
def plan_marks(rows) -> dict:
    """backup id → {"plan": name or "", "kept": bool}, for the rows of a page."""
    ids = [row["backup"].id if isinstance(row, dict) else row.backup.id for row in rows]
    marks = {backup_id: {"plan": "", "plan_id": None, "kept": False} for backup_id in ids}
    for backup_id, plan_id, name in PlanBackup.objects.filter(backup_id__in=ids).values_list(
        "backup_id", "plan_id", "plan__name"
    ):
        marks[backup_id].update(plan=name, plan_id=plan_id)
    for backup_id in KeptBackup.objects.filter(backup_id__in=ids).values_list(
        "backup_id", flat=True
    ):
        marks[backup_id]["kept"] = True
    return marks


@register.filter
def in_words(decision) -> str:
    """What the rules say of a backup, in the reader's language."""
    rule = {"rule": decision.rule}
    return {
        r.KEPT_BY_RULE: lambda: _("kept by %(rule)s") % rule,
        r.SAME_PERIOD: lambda: (
            _("not kept: %(rule)s keeps a newer backup of the same period") % rule
        ),
        r.BEYOND: lambda: _("not kept: beyond %(rule)s") % rule,
        r.NEWEST: lambda: _("kept: the server's newest completed backup"),
        r.MARKED_KEPT: lambda: _("kept: marked kept"),
        r.NOT_COMPLETED: lambda: _("kept: not completed"),
        r.NOT_THE_PLANS: lambda: _("kept: not made by this plan"),
        r.NO_RULES: lambda: _("kept: no retention rules"),
    }[decision.why]()


@register.simple_tag
def server_plans(rows) -> dict:
    """server id → the plans that back it up (coverage.py), each with its next run; the one
    that runs most often, which its health follows, first."""
    servers = {row.server.id: row.server.name for row in rows}
    return {
        server_id: [{"plan": c.plan, "next": c.next, "period": c.period} for c in found]
        for server_id, found in coverage.covering(servers).items()
    }
