"""What the background workers run for plans (`manage.py worker`): runs on the default queue,
the alerts they give on the alerts' queue."""

from django.tasks import task

from . import attention, runner
from .models import PlanRun


@task()
def plan_round(slot: str = "") -> str:
    """Once a minute (`manage.py scheduler`): a run queued for each plan with a slot due."""
    from .schedule import enqueue_due_runs

    return f"{slot}: {enqueue_due_runs()} run(s) queued"


@task()
def run_plan(run_id: int) -> str:
    run = runner.carry_out(run_id)
    return run.outcome if run is not None else "held elsewhere or finished"


@task(queue_name="alerts")
def tell_attention(run_id: int) -> str:
    """Tells a plan's owner that its run needs attention (on the alerts' queue, as every
    outbound alert: a slow receiver never holds up a run)."""
    run = PlanRun.objects.select_related("plan").filter(pk=run_id).first()
    if run is None:
        return "gone"
    return "told" if attention.tell(run) else "not told"
