"""A plan's runs against the sandbox over loopback: the calls made, the backups recorded,
retention with the rule in the audit trail, preview, the owner's rights, a resumed run."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import Group

from backupsui.accounts.crypto import encrypt
from backupsui.accounts.models import ApiToken
from backupsui.accounts.tokens import verify_and_save
from backupsui.audit.actors import Actor
from backupsui.audit.models import Action, AuditEvent, Outcome
from backupsui.plans import runner
from backupsui.plans.models import KeptBackup, Plan, PlanBackup, PlanRun, PlanStep
from backupsui.plans.schedule import enqueue_due_runs, run_now
from backupsui.words import Sentence
from tests.conftest import OPERATOR_TOKEN, start_sandbox

SERVERS = {12345, 12346, 12347}


class Calls:
    """What reached the sandbox: lists, creates, deletes."""

    def __init__(self, state):
        self.lists, self.creates, self.deletes = [], [], []
        self.lock = threading.Lock()
        listing, create, delete = state.list_page, state.create_backup, state.delete_backup

        def counted_list(account, server_id, backup_type, start=0, stop=None):
            if start == 0:  # a list call's first page
                with self.lock:
                    self.lists.append((account, server_id, backup_type))
            return listing(account, server_id, backup_type, start, stop)

        def counted_create(account, server_id, description):
            with self.lock:
                self.creates.append(server_id)
            return create(account, server_id, description)

        def counted_delete(account, backup_id):
            with self.lock:
                self.deletes.append(backup_id)
            return delete(account, backup_id)

        state.list_page = counted_list
        state.create_backup = counted_create
        state.delete_backup = counted_delete


@pytest.fixture
def world(settings):
    server = start_sandbox(servers=3, completion_delay=0)
    settings.BACKUPS_API_URL = server.url
    server.calls = Calls(server.state)
    yield server
    server.stop()


def make_plan(owner, **values) -> Plan:
    values.setdefault("name", "Hourly")
    values.setdefault("schedule", "0 * * * *")
    return Plan.objects.create(owner=owner, **values)


def run_once(plan) -> PlanRun:
    run = PlanRun.objects.create(plan=plan, slot=datetime.now(UTC), now=True)
    return runner.carry_out(run.pk)


@pytest.mark.django_db(transaction=True)
def test_it_makes_one_backup_per_server_and_names_the_plan(world, operator):
    plan = make_plan(operator)
    run = run_once(plan)
    assert run.outcome == PlanRun.Outcome.DONE and run.created == 3
    assert len(world.calls.lists) == 1
    assert sorted(world.calls.creates) == sorted(SERVERS)
    assert set(PlanBackup.objects.values_list("server_id", flat=True)) == SERVERS
    made = [world.state.backups[b] for b in plan.backups.values_list("backup_id", flat=True)]
    assert all(b.description == plan.description_for(run.slot) for b in made)
    assert all("Hourly" in b.description for b in made)
    requested = AuditEvent.objects.filter(action=Action.BACKUP_REQUESTED)
    assert requested.count() == 3
    assert {(e.plan_id, e.plan_name, e.actor_id) for e in requested} == {
        (plan.pk, "Hourly", operator.pk)
    }


@pytest.mark.django_db(transaction=True)
def test_it_skips_a_server_with_a_backup_running_and_says_why(world, operator):
    world.state.add_backup(
        12346, status="in_progress", completes_at=datetime.now(UTC) + timedelta(hours=1)
    )
    run = run_once(make_plan(operator))
    assert run.created == 2 and 12346 not in world.calls.creates
    [skipped] = run.skipped
    assert skipped["server_id"] == 12346
    assert str(Sentence.loads(skipped["why"])) == "a backup is running already"


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_last_two_and_deletes_the_oldest_with_the_rule_on_record(world, operator):
    """A run's retention works on its one list and the backup it has just asked for, which
    this sandbox completes at once: the third run sees three and lets the oldest go."""
    plan = make_plan(operator, keep_last=2, pattern="web-*", servers=Plan.Servers.PATTERN)
    for _ in range(2):
        run = run_once(plan)
        assert run.created == 1 and run.deleted == 0
    run = run_once(plan)
    assert run.created == 1 and run.deleted == 1
    first = plan.backups.order_by("backup_id").first().backup_id
    assert world.calls.deletes == [first]
    deleted = AuditEvent.objects.get(action=Action.BACKUP_DELETED)
    assert deleted.backup_id == first and deleted.outcome == Outcome.ACCEPTED
    assert deleted.message == "not kept: beyond keep-last 2"
    assert deleted.plan_id == plan.pk
    # The automatic backups (not the plan's) are untouched.
    assert all(b.backup_type == "automatic" or b.id != first for b in world.state.backups.values())


@pytest.mark.django_db(transaction=True)
def test_it_counts_its_own_new_backup_only_once_completed(world, operator):
    """A backup the run asked for that is still being taken neither counts nor goes."""
    plan = make_plan(operator, keep_last=1, servers=Plan.Servers.CHOSEN, server_ids=[12345])
    run_once(plan)
    world.state.config.completion_delay = 3600
    run = run_once(plan)  # its list: the first; its own: running, so the first is the newest
    assert run.created == 1 and run.deleted == 0 and world.calls.deletes == []
    world.state.config.completion_delay = 0
    first, second = plan.backups.order_by("backup_id").values_list("backup_id", flat=True)
    world.state.backups[second].completes_at = datetime.now(UTC)
    run = run_once(plan)  # the first, the second, and its own third, completed at once
    assert run.deleted == 2 and sorted(world.calls.deletes) == [first, second]


@pytest.mark.django_db(transaction=True)
def test_it_deletes_nothing_in_preview_and_says_what_it_would(world, operator):
    plan = make_plan(
        operator,
        keep_last=1,
        mode=Plan.Mode.PREVIEW,
        servers=Plan.Servers.CHOSEN,
        server_ids=[12345],
    )
    for _ in range(2):
        run = run_once(plan)
    assert run.outcome == PlanRun.Outcome.PREVIEWED
    assert world.calls.deletes == []
    # The second run saw the first and its own: it would let the older go.
    assert [w["said"] for w in run.would_delete] == ["not kept: beyond keep-last 1"]
    assert run.would_delete[0]["backup_id"] == plan.backups.order_by("backup_id").first().backup_id


@pytest.mark.django_db(transaction=True)
def test_it_never_deletes_a_backup_marked_kept(world, operator):
    plan = make_plan(operator, keep_last=1, servers=Plan.Servers.CHOSEN, server_ids=[12345])
    run_once(plan)
    first = plan.backups.get().backup_id
    KeptBackup.objects.create(backup_id=first, server_id=12345, marked_by=operator)
    for _ in range(3):
        run_once(plan)
    # Each later run keeps its own (the newest) and lets the one before it go, never the first.
    assert first not in world.calls.deletes and len(world.calls.deletes) == 2


@pytest.mark.django_db(transaction=True)
def test_it_deletes_at_most_the_limit_in_one_run(world, operator, settings):
    settings.BACKUPSUI_PLAN_DELETES_PER_RUN = 2
    plan = make_plan(operator, servers=Plan.Servers.CHOSEN, server_ids=[12345])
    for _ in range(5):
        run_once(plan)
    Plan.objects.filter(pk=plan.pk).update(keep_last=1)
    plan.refresh_from_db()
    run = run_once(plan)
    # Five made and its own sixth, which it keeps: five to go, two now and three left.
    assert run.deleted == 2 and len(run.would_delete) == 3
    run = run_once(plan)  # the three left and the sixth (its own seventh is the newest now)
    assert run.deleted == 2 and len(run.would_delete) == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("loss", ["deactivated", "no_delete", "no_token"])
def test_it_pauses_and_sends_nothing_when_the_owner_may_not_act(world, operator, loss):
    plan = make_plan(operator, keep_last=2)
    if loss == "deactivated":
        type(operator).objects.filter(pk=operator.pk).update(is_active=False)
    elif loss == "no_delete":
        operator.groups.set([Group.objects.get(name="Support")])
    else:
        ApiToken.objects.filter(user=operator).delete()
    run = run_once(plan)
    plan.refresh_from_db()
    assert run.outcome == PlanRun.Outcome.STOPPED
    assert plan.mode == Plan.Mode.PAUSED and "paused" in plan.paused_reason_text
    assert world.calls.lists == [] and world.calls.creates == []
    assert enqueue_due_runs(datetime.now(UTC) + timedelta(hours=2)) == 0  # paused: not due


@pytest.mark.django_db(transaction=True)
def test_it_pauses_saying_the_stored_token_can_no_longer_be_read(world, operator, settings):
    plan = make_plan(operator)
    settings.BACKUPSUI_TOKEN_KEYS = [Fernet.generate_key().decode()]  # the old key is gone
    run = run_once(plan)
    plan.refresh_from_db()
    assert run.outcome == PlanRun.Outcome.STOPPED and plan.mode == Plan.Mode.PAUSED
    assert plan.paused_reason_text == (
        "The plan's owner's stored token can no longer be read (the keys changed), so the "
        "plan was paused; the owner must store it again."
    )
    assert plan.paused_for == Plan.TOKEN_UNREADABLE
    assert world.calls.lists == [] and world.calls.creates == []
    # Stored again (under the new key), the token is back: the plan takes itself up again.
    verify_and_save(Actor.of(operator), operator, OPERATOR_TOKEN)
    plan.refresh_from_db()
    assert (plan.mode, plan.paused_for) == (Plan.Mode.ACTIVE, "")


@pytest.mark.django_db(transaction=True)
def test_it_pauses_when_the_token_is_refused(world, operator):
    plan = make_plan(operator)
    ApiToken.objects.filter(user=operator).delete()
    ApiToken.objects.create(
        user=operator,
        ciphertext=encrypt("not-a-token-anyone-knows"),
        last4="nows",
        saved_at=datetime.now(UTC),
    )
    run = run_once(plan)
    plan.refresh_from_db()
    assert plan.mode == Plan.Mode.PAUSED
    assert "refused" in plan.paused_reason_text and run.created == 0


@pytest.mark.django_db(transaction=True)
def test_it_resumes_a_run_without_a_second_create_or_delete(world, operator):
    """A worker died after noting a create (its backup was made, the answer lost) and a
    delete (sent, answer lost): the run is finished by the next worker, each call once."""
    plan = make_plan(operator, keep_last=1, servers=Plan.Servers.CHOSEN, server_ids=[12345])
    run_once(plan)
    old = plan.backups.get().backup_id
    run = PlanRun.objects.create(plan=plan, slot=datetime.now(UTC) - timedelta(minutes=3))
    PlanRun.objects.filter(pk=run.pk).update(
        started=datetime.now(UTC), held_until=datetime.now(UTC) - timedelta(seconds=1)
    )
    PlanStep.objects.create(run=run, kind=PlanStep.CREATE, target=12345)
    made = world.state.create_backup("acme", 12345, plan.description_for(run.slot))
    PlanStep.objects.create(
        run=run, kind=PlanStep.DELETE, target=old, said="not kept: beyond keep-last 1"
    )
    world.state.delete_backup("acme", old)
    creates_before = len(world.calls.creates)
    deletes_before = len(world.calls.deletes)
    assert enqueue_due_runs(datetime.now(UTC)) >= 1  # the stalled run is queued again
    finished = runner.carry_out(run.pk)
    assert finished.outcome == PlanRun.Outcome.DONE
    assert len(world.calls.creates) == creates_before
    assert len(world.calls.deletes) == deletes_before
    assert plan.backups.filter(backup_id=made["id"]).exists()
    assert runner.carry_out(run.pk) is None  # finished: nobody runs it again


@pytest.mark.django_db(transaction=True)
def test_it_runs_now_in_a_slot_of_its_own(world, operator):
    plan = make_plan(operator)
    first, second = run_now(plan), run_now(plan)
    assert first.slot != second.slot and first.now and second.now
