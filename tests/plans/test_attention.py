"""A run that cannot do what its plan asks, against the sandbox over loopback: a chosen
server its owner's list does not show, or a pattern no server's name matches, ends the run
"needs attention" (never done, dry run or not), counted not ok on /metrics, its owner told
once for the same reason; what it could do, it did."""

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from backupsui.alerts.models import Subscription
from backupsui.plans.models import Plan, PlanRun
from tests.conftest import start_sandbox
from tests.plans.test_runner import Calls, make_plan, run_once

KEY = "scrape-key-for-plan-tests"


@pytest.fixture
def world(settings):
    """A sandbox whose backups complete at once, counting the calls that reach it."""
    server = start_sandbox(servers=3, completion_delay=0)
    settings.BACKUPS_API_URL = server.url
    server.calls = Calls(server.state)
    yield server
    server.stop()


def last_run_ok(client, settings) -> dict[str, float]:
    settings.BACKUPSUI_METRICS_TOKEN = KEY
    answer = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {KEY}")
    assert answer.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(answer.content.decode())}
    return {s.labels["plan"]: s.value for s in families["backupsui_plan_last_run_ok"].samples}


def alerts_sent() -> list[str]:
    """What the alerts' queue held for plans, carried out as a worker of that queue does."""
    queued = DBTaskResult.objects.filter(task_path__endswith="tell_attention")
    assert set(queued.values_list("queue_name", flat=True)) <= {"alerts"}
    call_command("worker", "--batch", "--queue-name", "alerts", "--no-startup-delay")
    return [result.return_value for result in queued.order_by("enqueued_at")]


def told_by_email(user) -> None:
    type(user).objects.filter(pk=user.pk).update(email="olivia@example.test")
    Subscription.objects.create(user=user, by_email=True)


@pytest.mark.django_db(transaction=True)
def test_it_backs_up_the_chosen_servers_it_finds_and_needs_attention_for_the_rest(
    world, operator, client, settings
):
    plan = make_plan(
        operator, name="Chosen", servers=Plan.Servers.CHOSEN, server_ids=[12345, 99999]
    )
    run = run_once(plan)
    assert run.outcome == PlanRun.Outcome.ATTENTION
    assert run.get_outcome_display() == "Needs attention"
    assert run.detail_text == "Not in the owner's list, so not backed up: 99999."
    assert run.created == 1 and world.calls.creates == [12345]  # nothing sent for 99999
    assert last_run_ok(client, settings) == {"Chosen": 0}


@pytest.mark.django_db(transaction=True)
def test_it_needs_attention_when_the_pattern_matches_no_server(world, operator, client, settings):
    plan = make_plan(operator, name="Typo", servers=Plan.Servers.PATTERN, pattern="wbe-*")
    run = run_once(plan)
    assert run.outcome == PlanRun.Outcome.ATTENTION
    assert run.detail_text == "No server in the owner's list has a name matching wbe-*."
    assert run.created == 0 and world.calls.creates == []
    fixed = make_plan(operator, name="Fixed", servers=Plan.Servers.PATTERN, pattern="web-*")
    assert run_once(fixed).outcome == PlanRun.Outcome.DONE
    assert last_run_ok(client, settings) == {"Typo": 0, "Fixed": 1}


@pytest.mark.django_db(transaction=True)
def test_it_needs_attention_in_a_dry_run_too(world, operator):
    plan = make_plan(
        operator, mode=Plan.Mode.PREVIEW, servers=Plan.Servers.CHOSEN, server_ids=[12348]
    )
    run = run_once(plan)
    assert run.outcome == PlanRun.Outcome.ATTENTION and world.calls.deletes == []


@pytest.mark.django_db(transaction=True)
def test_it_tells_the_owner_once_for_the_same_reason(world, operator, mailoutbox):
    told_by_email(operator)
    plan = make_plan(operator, name="Gone", servers=Plan.Servers.CHOSEN, server_ids=[99999])
    run_once(plan)
    run_once(plan)  # the same reason: not told again
    assert alerts_sent() == ["told", "not told"]
    [mail] = mailoutbox
    assert mail.to == ["olivia@example.test"]
    assert mail.subject == "Backup plan Gone needs attention"
    assert "Not in the owner's list, so not backed up: 99999." in mail.body
    Plan.objects.filter(pk=plan.pk).update(server_ids=[12345])
    plan.refresh_from_db()
    assert run_once(plan).outcome == PlanRun.Outcome.DONE
    Plan.objects.filter(pk=plan.pk).update(server_ids=[12345, 99999])
    plan.refresh_from_db()
    run_once(plan)  # gone again after a good run: told again
    assert alerts_sent() == ["told", "not told", "told"]
    assert len(mailoutbox) == 2


@pytest.mark.django_db(transaction=True)
def test_it_tells_the_owner_only(world, operator, django_user_model, mailoutbox):
    from tests.conftest import SUPPORT_TOKEN, make_user

    colleague = make_user(django_user_model, "opal", "Operators", SUPPORT_TOKEN)
    told_by_email(operator)
    told_by_email(colleague)
    type(colleague).objects.filter(pk=colleague.pk).update(email="opal@example.test")
    run_once(make_plan(operator, servers=Plan.Servers.CHOSEN, server_ids=[99999]))
    assert alerts_sent() == ["told"]
    assert [mail.to for mail in mailoutbox] == [["olivia@example.test"]]
