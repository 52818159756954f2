"""What the backups list shows of plans: which plan made each backup on the page, and which
are marked kept (two queries a page, whatever its length)."""

from django import template
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backupsui.plans import preview
from backupsui.plans import retention as r
from backupsui.plans.models import KeptBackup, Plan, PlanBackup

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
def mark_of(marks: dict, backup_id):
    return (marks or {}).get(backup_id) or {}


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


@register.simple_tag(takes_context=True)
def server_plans(context, rows) -> dict:
    """server id → the plans that back it up: each with its next run and whether the
    server is late for it (its newest completed backup older than the plan's period and half
    a period again). The plans considered are the reader's own and those that have made a
    backup of the server (a plan of "every server" covers its owner's account only)."""
    user = context["request"].user
    servers = {row.server.id: row.server for row in rows}
    made = set(PlanBackup.objects.filter(server_id__in=servers).values_list("plan_id", "server_id"))
    plans = Plan.objects.exclude(mode=Plan.Mode.PAUSED).filter(
        Q(owner=user) | Q(pk__in={plan_id for plan_id, _server in made})
    )
    now = timezone.now()
    found: dict[int, list] = {}
    for plan in plans:
        upcoming = preview.upcoming(plan.schedule, plan.zone, now)
        if not upcoming:
            continue
        period = upcoming[1] - upcoming[0] if len(upcoming) > 1 else None
        for server_id, server in servers.items():
            ours = plan.owner_id == user.pk or (plan.pk, server_id) in made
            if not ours or not plan.covers(server_id, server.name):
                continue
            newest = server.newest.created_at if server.newest else None
            late = period is not None and (newest is None or now - newest > period * 1.5)
            found.setdefault(server_id, []).append(
                {"plan": plan, "next": upcoming[0], "late": late}
            )
    return found
