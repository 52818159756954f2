"""What the background workers run for plans (`manage.py db_worker`, the default queue)."""

from django.tasks import task

from . import runner


@task()
def run_plan(run_id: int) -> str:
    run = runner.carry_out(run_id)
    return run.outcome if run is not None else "held elsewhere or finished"
