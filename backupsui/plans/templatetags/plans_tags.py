"""Plans' words for templates: what the retention rules say of a backup. (What the backups
pages show of plans, the plan that made each backup and the marks, reaches them in their
context: backups/plan_facts.py.)"""

from django import template
from django.utils.translation import gettext as _

from backupsui.plans import retention as r

register = template.Library()


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
