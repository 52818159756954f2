"""What the background workers run for plans (`manage.py db_worker`, the default queue)."""

from django.tasks import task

from . import runner


@task()
def plan_round(slot: str = "") -> str:
    """Once a minute (`manage.py scheduler`): a run queued for each plan with a slot due."""
    from .schedule import enqueue_due_runs

    return f"{slot}: {enqueue_due_runs()} run(s) queued"


@task()
def run_plan(run_id: int) -> str:
    run = runner.carry_out(run_id)
    return run.outcome if run is not None else "held elsewhere or finished"
