"""The periodic rounds: `manage.py scheduler` queues the alerts round (queue "alerts") and the
housekeeping round (queue "default") once per slot, however many schedulers run; a slot
missed while none ran is made up once, not once per slot missed; looks left running by a
dead worker are failed once the job's lease has run out."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.tasks import TaskResultStatus
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from backupsui.jobs import runner, scheduler, tasks
from backupsui.jobs.models import Job, Schedule
from tests.conftest import make_user
from tests.faults import closed_port
from tests.stack import Workers

T0 = datetime(2026, 3, 29, 0, 59, 30, tzinfo=UTC)  # just before Europe's clocks go forward


def queued(task_name: str) -> list[str]:
    """The slots queued for a round, in order."""
    results = DBTaskResult.objects.filter(task_path__endswith=f".{task_name}")
    return [r.args_kwargs["args"][0] for r in results.order_by("enqueued_at")]


@pytest.mark.django_db
def test_it_queues_each_round_once_per_slot_and_one_round_for_slots_missed(settings, monkeypatch):
    # The two rounds of BACKUPSUI_WATCH_MINUTES (the plans' own, a minute, is tested there;
    # the weekly reports' in tests/alerts/test_weekly.py).
    watched = [r for r in scheduler.ROUNDS if r.every is scheduler.watch_every]
    monkeypatch.setattr(scheduler, "ROUNDS", watched)
    settings.BACKUPSUI_WATCH_MINUTES = 10
    every = timedelta(minutes=10)
    with time_machine.travel(T0, tick=False) as clock:
        assert sorted(n for n, _ in scheduler.run_due()) == ["alerts", "housekeeping"]
        assert scheduler.run_due() == []  # the same slot, asked again: already won
        clock.move_to(T0 + every - timedelta(seconds=1))
        assert scheduler.run_due() == []
        clock.move_to(T0 + every)
        assert [slot for _, slot in scheduler.run_due()] == [T0 + every] * 2
        # No scheduler for an hour and a bit: one round now, the next a round from now.
        late = T0 + 7 * every + timedelta(seconds=3)
        clock.move_to(late)
        assert [slot for _, slot in scheduler.run_due()] == [T0 + 2 * every] * 2
        clock.move_to(late + every - timedelta(seconds=1))
        assert scheduler.run_due() == []
        clock.move_to(late + every)
        assert [slot for _, slot in scheduler.run_due()] == [late + every] * 2
    expected = [s.isoformat() for s in (T0, T0 + every, T0 + 2 * every, late + every)]
    assert queued("alerts_round") == queued("housekeeping") == expected
    queues = DBTaskResult.objects.values_list("task_path", "queue_name").distinct()
    assert set(queues) == {
        ("backupsui.alerts.tasks.alerts_round", "alerts"),
        ("backupsui.jobs.tasks.housekeeping", "default"),
    }
    assert Schedule.objects.get(name="housekeeping").due_at == late + 2 * every


@pytest.mark.django_db
def test_it_fails_a_dead_workers_look_once_the_jobs_lease_has_run_out(settings, django_user_model):
    settings.BACKUPS_API_TIMEOUT = 5  # a lease of 15 s
    person = make_user(django_user_model, "olivia", "Operators")
    with time_machine.travel(T0, tick=False) as clock:
        job = Job.objects.create(user=person, server_id=1, backup_id=2, state="waiting")
        tasks.start(job)
        look = DBTaskResult.objects.get()
        look.claim("a worker that is then killed")
        Job.objects.filter(pk=job.pk).update(held_until=T0 + runner.lease_for())
        clock.move_to(T0 + runner.lease_for() - timedelta(seconds=1))
        assert tasks.fail_abandoned() == 0  # still within its lease: it may be working
        clock.move_to(T0 + runner.lease_for() + timedelta(seconds=1))
        assert tasks.fail_abandoned() == 1
        look.refresh_from_db()
        assert look.status == TaskResultStatus.FAILED and look.finished_at is not None
        [error] = look.task_result.errors
        assert error.exception_class is tasks.WorkerGone
        # The job's one look is gone: the housekeeping gives it a new one, once.
        clock.move_to(T0 + timedelta(minutes=5))
        assert tasks.restart_stalled() == 1
        assert tasks.restart_stalled() == 0
    job.refresh_from_db()
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).get().pk == job.look_task


def slots(task_name: str) -> list[datetime]:
    done = DBTaskResult.objects.filter(
        task_path__endswith=f".{task_name}", status=TaskResultStatus.SUCCESSFUL
    )
    return sorted(datetime.fromisoformat(r.return_value) for r in done)


@pytest.mark.django_db(transaction=True)
def test_it_runs_each_round_once_with_two_schedulers_and_two_workers(tmp_path):
    round_seconds = 3  # the shortest round the settings allow
    processes = Workers(
        f"http://127.0.0.1:{closed_port()}/api/v1",
        BACKUPSUI_WATCH_MINUTES=str(round_seconds / 60),
    )
    try:
        with open(tmp_path / "log", "w") as log:
            for _ in range(2):
                processes.scheduler(log=log)
                processes.start(log=log)
            deadline = time.monotonic() + 60
            while len(slots("housekeeping")) < 4 and time.monotonic() < deadline:
                time.sleep(0.1)
            for process in processes.running[::2]:  # the schedulers
                process.terminate()
                process.wait(timeout=15)
            waiting = DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL)
            while waiting.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        processes.stop()
    assert all(p.returncode in (0, -15) for p in processes.running), (tmp_path / "log").read_text()
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.SUCCESSFUL).exists()
    for name in ("alerts_round", "housekeeping"):
        done = slots(name)
        assert len(done) >= 4
        assert len(set(done)) == len(done), done  # no slot run twice
        assert DBTaskResult.objects.filter(task_path__endswith=f".{name}").count() == len(done)
        gaps = [later - earlier for earlier, later in zip(done, done[1:], strict=False)]
        assert min(gaps) >= timedelta(seconds=round_seconds), done  # one round per slot
    assert slots("alerts_round") == slots("housekeeping")
    lines = (tmp_path / "log").read_text()
    assert "unavailable" not in lines and "Traceback" not in lines, lines


@pytest.mark.django_db
def test_it_queues_and_writes_nothing_while_a_page_renders(operator_client):
    with CaptureQueriesContext(connection) as queries:
        page = operator_client.get("/audit/")
    assert page.status_code == 200
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and "django_session" not in q["sql"]
    ]
    assert writes == []
    assert not Schedule.objects.exists() and not DBTaskResult.objects.exists()
