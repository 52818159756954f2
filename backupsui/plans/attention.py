"""A run that could not do what its plan asks: a chosen server the owner's list does not
show (a typo, a server of another account, one deleted since), or a pattern no server's name
matches. The run does what it can and ends "needs attention", never "done": /metrics counts it
as not ok and the plan's owner is told, from the alerts' queue (once for the same reason, not
at every run)."""

from django.utils.translation import gettext_noop as _

from backupsui.alerts.delivery import Alert, deliver
from backupsui.alerts.models import Subscription
from backupsui.words import Sentence

from .models import Plan, PlanRun


def missing(plan: Plan, servers: dict[int, str]) -> Sentence | None:
    """What the plan asks for that the owner's list (`servers`: id → name) does not have."""
    if plan.servers == Plan.Servers.CHOSEN:
        gone = [server_id for server_id in plan.server_ids if server_id not in servers]
        if gone:
            return Sentence(
                _("Not in the owner's list, so not backed up: %(ids)s."),
                ids=", ".join(map(str, gone)),
            )
    elif plan.servers == Plan.Servers.PATTERN:
        if not any(plan.covers(server_id, name) for server_id, name in servers.items()):
            return Sentence(
                _("No server in the owner's list has a name matching %(pattern)s."),
                pattern=plan.pattern,
            )
    elif not servers:
        return Sentence(_("The owner's list shows no server."))
    return None


def _said_before(run: PlanRun, why: Sentence) -> bool:
    """Whether the plan's newest run finished before this one ended needing attention for
    the same reason (its owner was told then)."""
    before = (
        PlanRun.objects.filter(plan_id=run.plan_id, finished__lt=run.finished)
        .exclude(pk=run.pk)
        .order_by("-finished", "-pk")
        .first()
    )
    return (
        before is not None
        and before.outcome == PlanRun.Outcome.ATTENTION
        and Sentence.loads(before.detail) == why
    )


def tell_later(run: PlanRun) -> None:
    """Queues the telling on the alerts' queue (a slow receiver never holds up a run)."""
    from .tasks import tell_attention  # the task module imports the runner, which imports this

    tell_attention.enqueue(run.pk)


def tell(run: PlanRun) -> bool:
    """Alerts the plan's owner that this finished run needs attention (their email, webhook
    and Apprise URLs, as they asked), unless the run before said the same. Whether an alert
    went out to some way."""
    plan = run.plan
    why = Sentence.loads(run.detail)
    if run.outcome != PlanRun.Outcome.ATTENTION or run.finished is None:
        return False
    if _said_before(run, why):
        return False
    told = (
        Subscription.objects.filter(user_id=plan.owner_id, user__is_active=True)
        .select_related("user")
        .first()
    )
    if told is None or not (told.by_email or told.webhook_url or told.user.apprise_urls.exists()):
        return False
    alert = Alert(
        kind="plan_attention",
        subject=Sentence(_("Backup plan %(name)s needs attention"), name=plan.name),
        lines=[why],
        items=[{"plan": plan.pk, "name": plan.name, "run": run.pk}],
    )
    deliver(told, alert)
    return True
