"""Plans run by real processes on the test database: `db_worker` workers and `plan_round`
schedulers (two of each at once), against the sandbox over loopback. One run and one create
per server per slot; a worker SIGKILLed in the middle of a create or a delete leaves the
run to be finished by another with each call made once; preview sends no delete; a
deactivated owner's plan pauses and sends nothing."""

import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from backupsui.plans.models import Plan, PlanBackup, PlanRun
from backupsui.plans.schedule import run_now
from tests.conftest import OPERATOR_TOKEN, make_user, start_sandbox
from tests.stack import ROOT, Workers

pytestmark = pytest.mark.django_db(transaction=True)


class Calls:
    """What reached the sandbox; creates and deletes may be held back mid-call."""

    def __init__(self, state):
        self.creates, self.deletes = [], []
        self.lock = threading.Lock()
        self.hold = threading.Event()  # creates
        self.hold.set()
        self.hold_deletes = threading.Event()
        self.hold_deletes.set()
        self.create_arrived = threading.Event()
        self.delete_arrived = threading.Event()
        create, delete = state.create_backup, state.delete_backup

        def counted_create(account, server_id, description):
            self.create_arrived.set()
            self.hold.wait(60)
            answer = create(account, server_id, description)
            with self.lock:
                self.creates.append((server_id, description))
            return answer

        def counted_delete(account, backup_id):
            self.delete_arrived.set()
            self.hold_deletes.wait(60)
            with self.lock:
                self.deletes.append(backup_id)
            return delete(account, backup_id)

        state.create_backup, state.delete_backup = counted_create, counted_delete


class Schedulers:
    """`manage.py plan_round` again and again, from several loops at once."""

    def __init__(self, env: dict):
        self.env = env
        self.stopping = threading.Event()
        self.loops: list[threading.Thread] = []

    def start(self, count: int = 1) -> None:
        for _ in range(count):
            loop = threading.Thread(target=self._loop, daemon=True)
            loop.start()
            self.loops.append(loop)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            subprocess.run(
                [sys.executable, "manage.py", "plan_round"],
                cwd=ROOT,
                env=self.env,
                capture_output=True,
                timeout=120,
                check=False,
            )
            self.stopping.wait(1)

    def stop(self) -> None:
        self.stopping.set()
        for loop in self.loops:
            loop.join(timeout=130)


@pytest.fixture
def world(settings):
    server = start_sandbox(servers=3, completion_delay=0)
    settings.BACKUPS_API_URL = server.url
    server.calls = Calls(server.state)
    yield server
    server.stop()


@pytest.fixture
def owner(world, django_user_model):
    return make_user(django_user_model, "olivia", "Operators", OPERATOR_TOKEN)


@pytest.fixture
def stack(world):
    workers = Workers(world.url)
    schedulers = Schedulers(workers.env)
    yield workers, schedulers
    schedulers.stop()
    workers.stop()


def wait_for(condition, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    raise AssertionError("the condition did not hold in time")


def finished(plan, count=1):
    runs = list(plan.runs.filter(finished__isnull=False))
    return runs if len(runs) >= count else None


def test_it_runs_each_slot_once_with_two_workers_and_two_schedulers(world, owner, stack):
    workers, schedulers = stack
    # Made a minute ago: its first slot (this minute's) is due at once, to both schedulers
    # as they start, rather than at the next minute.
    plan = Plan.objects.create(
        owner=owner,
        name="Every minute",
        schedule="* * * * *",
        created_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    workers.start()
    workers.start()
    schedulers.start(2)
    wait_for(lambda: finished(plan, 3), seconds=300)
    schedulers.stop()
    wait_for(lambda: not plan.runs.filter(finished__isnull=True).exists(), seconds=120)
    runs = list(plan.runs.all())
    assert len(runs) >= 3 and len({run.slot for run in runs}) == len(runs)
    assert all(run.created == 3 and run.outcome == PlanRun.Outcome.DONE for run in runs)
    per_slot = Counter(description for _server, description in world.calls.creates)
    assert len(per_slot) == len(runs) and set(per_slot.values()) == {3}
    assert len(set(world.calls.creates)) == len(world.calls.creates)  # none twice


@pytest.mark.parametrize("call", ["create", "delete"])
def test_it_finishes_a_run_whose_worker_was_killed_mid_call_with_each_call_once(
    world, owner, stack, call
):
    workers, schedulers = stack
    plan = Plan.objects.create(
        owner=owner, name="Killed", servers="chosen", server_ids=[12345], keep_last=1
    )
    for _ in range(2):  # two earlier backups of the plan: the older is to go
        made = world.state.create_backup("acme", 12345, "earlier")
        PlanBackup.objects.create(
            plan=plan, server_id=12345, backup_id=made["id"], slot=datetime.now(UTC)
        )
    world.calls.creates.clear()
    world.calls.create_arrived.clear()
    if call == "create":
        held, arrived = world.calls.hold, world.calls.create_arrived
    else:
        held, arrived = world.calls.hold_deletes, world.calls.delete_arrived
    held.clear()
    first = workers.start()
    run = run_now(plan)
    assert arrived.wait(60)
    workers.kill(first)  # mid-call: the step noted, its audit event pending
    held.set()  # the API carries the request out all the same
    run.refresh_from_db()
    assert run.finished is None
    workers.start()
    schedulers.start(1)  # finds the run its dead worker held, once the hold runs out
    wait_for(lambda: PlanRun.objects.filter(pk=run.pk, finished__isnull=False).first())
    run.refresh_from_db()
    assert run.outcome == PlanRun.Outcome.DONE, run.detail_text
    # One create; each delete once (the resumed run's list may show its own new backup
    # completed, so both earlier ones may go: each of them once).
    assert len(world.calls.creates) == 1
    assert world.calls.deletes and len(set(world.calls.deletes)) == len(world.calls.deletes)
    newest = plan.backups.order_by("-backup_id").first().backup_id
    assert newest in world.state.backups and newest not in world.calls.deletes


def test_it_sends_no_delete_in_preview_and_nothing_for_a_deactivated_owner(world, owner, stack):
    workers, _schedulers = stack
    preview = Plan.objects.create(
        owner=owner,
        name="Preview",
        servers="chosen",
        server_ids=[12345],
        keep_last=1,
        mode=Plan.Mode.PREVIEW,
    )
    for _ in range(3):
        made = world.state.create_backup("acme", 12345, "earlier")
        PlanBackup.objects.create(
            plan=preview, server_id=12345, backup_id=made["id"], slot=datetime.now(UTC)
        )
    world.calls.creates.clear()
    workers.start()
    run = run_now(preview)
    wait_for(lambda: PlanRun.objects.filter(pk=run.pk, finished__isnull=False).first())
    run.refresh_from_db()
    # The run's own backup completes at once in this world: it is the one keep-last 1
    # keeps, and the three earlier ones would go.
    assert run.outcome == PlanRun.Outcome.PREVIEWED
    plan_backups = set(preview.backups.values_list("backup_id", flat=True))
    fresh = max(plan_backups)
    assert sorted(d["backup_id"] for d in run.would_delete) == sorted(plan_backups - {fresh})
    assert world.calls.deletes == [] and len(world.calls.creates) == 1
    gone = Plan.objects.create(owner=owner, name="Gone owner", keep_last=1)
    type(owner).objects.filter(pk=owner.pk).update(is_active=False)
    run = run_now(gone)
    wait_for(lambda: PlanRun.objects.filter(pk=run.pk, finished__isnull=False).first())
    gone.refresh_from_db()
    assert gone.mode == Plan.Mode.PAUSED
    assert len(world.calls.creates) == 1 and world.calls.deletes == []
