"""A paused plan: its page says so and why, with a Resume button and no next runs; resuming
asks for the rights, the account and the recent confirmation editing asks for, and is on the
audit trail; a plan that paused for its owner's missing token resumes by itself (audited)
when a token is stored again, and no other paused plan does."""

import importlib
import re
from datetime import UTC, datetime

import pytest

from backupsui.accounts.models import ApiToken
from backupsui.accounts.tokens import verify_and_save
from backupsui.audit.actors import Actor
from backupsui.audit.models import Action, AuditEvent
from backupsui.plans import runner
from backupsui.plans.models import Plan, PlanRun
from backupsui.words import Sentence
from tests.conftest import OPERATOR_TOKEN, PASSWORD, SUPPORT_TOKEN, make_user
from tests.helpers import text
from tests.plans.test_views import FORM, late_colleague, listed, signed_in

CHOSEN = {**FORM, "name": "Held", "servers": "chosen", "server_ids": "12345"}


@pytest.fixture
def colleague(db, django_user_model):
    """Opal, another Operator of olivia's account (a token of her own)."""
    return make_user(django_user_model, "opal", "Operators", SUPPORT_TOKEN)


def run_once(plan) -> PlanRun:
    return runner.carry_out(PlanRun.objects.create(plan=plan, slot=datetime.now(UTC), now=True).pk)


def held(owner, **values) -> Plan:
    """A plan a person paused (as saving the form with "Paused" does)."""
    values.setdefault("mode", Plan.Mode.PAUSED)
    values.setdefault("paused_for", Plan.PAUSED_BY_PERSON)
    return Plan.objects.create(
        owner=owner, name="Held", servers="chosen", server_ids=[12345], **values
    )


def resumed(plan) -> list[tuple[str, str]]:
    events = AuditEvent.objects.filter(action=Action.PLAN_RESUMED, plan_id=plan.pk)
    return list(events.values_list("actor_username", "message"))


@pytest.mark.django_db
def test_it_shows_a_paused_plan_as_paused_with_why_and_resume_instead_of_next_runs(
    operator_client, operator, sandbox
):
    listed(operator_client)
    plan = Plan.objects.create(owner=operator, name="Held", servers="chosen", server_ids=[12345])
    before = text(operator_client.get(f"/plans/{plan.pk}/"))
    assert "Next runs" in before and "/resume/" not in before
    paused = operator_client.post(f"/plans/{plan.pk}/edit/", {**CHOSEN, "mode": "paused"})
    assert paused.status_code == 302
    page = text(operator_client.get(f"/plans/{plan.pk}/"))
    assert '<h2 id="paused-heading">Paused</h2>' in page
    assert "Paused by olivia." in page
    assert f'action="/plans/{plan.pk}/resume/"' in page and ">Resume</button>" in page
    assert "Next runs" not in page and "next-runs" not in page
    assert f'action="/plans/{plan.pk}/run/"' not in page  # no Run now while paused
    listing = text(operator_client.get("/plans/"))
    row = re.search(rf'<tr id="plan-{plan.pk}">(.*?)</tr>', listing, re.S).group(1)
    assert "Paused" in row and "<time" not in row  # no next run


@pytest.mark.django_db
def test_it_resumes_in_the_mode_it_had_on_record(operator_client, operator, sandbox):
    listed(operator_client)
    plan = Plan.objects.create(
        owner=operator, name="Held", servers="chosen", server_ids=[12345], mode=Plan.Mode.PREVIEW
    )
    operator_client.post(f"/plans/{plan.pk}/edit/", {**CHOSEN, "mode": "paused"})
    plan.refresh_from_db()
    assert (plan.paused_for, plan.resumes_as) == (Plan.PAUSED_BY_PERSON, Plan.Mode.PREVIEW)
    page = text(operator_client.get(f"/plans/{plan.pk}/"))
    assert "It takes up again as: Dry run: takes backups, deletes nothing." in page
    pressed = datetime.now(UTC)
    answer = operator_client.post(f"/plans/{plan.pk}/resume/", follow=True)
    plan.refresh_from_db()
    assert (plan.mode, plan.paused_reason, plan.paused_for) == (Plan.Mode.PREVIEW, "", "")
    assert plan.last_slot >= pressed  # the slots missed while paused are not due
    assert "was resumed" in text(answer) and "Next runs" in text(answer)
    assert resumed(plan) == [("olivia", "resumed; owner olivia; preview")]


@pytest.mark.django_db
def test_it_lets_only_those_who_may_edit_the_plan_resume_it(
    client, sandbox, operator, support, other_operator
):
    listed(signed_in(operator))
    plan = held(operator)
    sam = signed_in(support)
    listed(sam)
    assert "/resume/" not in text(sam.get(f"/plans/{plan.pk}/"))
    assert sam.post(f"/plans/{plan.pk}/resume/").status_code == 403
    oscar = signed_in(other_operator)
    listed(oscar)
    assert oscar.post(f"/plans/{plan.pk}/resume/").status_code == 404
    assert sam.get(f"/plans/{plan.pk}/resume/").status_code == 405
    plan.refresh_from_db()
    assert plan.mode == Plan.Mode.PAUSED and resumed(plan) == []


@pytest.mark.django_db
def test_it_asks_to_confirm_before_resuming_then_resumes_once_on_record(
    sandbox, operator, colleague, settings
):
    listed(signed_in(operator))
    plan = held(operator)
    opal = late_colleague(settings)
    asked = opal.post(f"/plans/{plan.pk}/resume/")
    assert asked["Location"].startswith("/accounts/reauthenticate/?next=")
    plan.refresh_from_db()
    assert plan.mode == Plan.Mode.PAUSED and resumed(plan) == []
    done = opal.post(
        "/accounts/reauthenticate/", {"password": PASSWORD, "next": f"/plans/{plan.pk}/resume/"}
    )
    assert done.status_code == 302
    plan.refresh_from_db()
    assert plan.mode == Plan.Mode.ACTIVE
    assert resumed(plan) == [("opal", "resumed; owner olivia; active")]


@pytest.mark.django_db
def test_it_will_not_resume_a_plan_whose_owner_has_no_token_and_says_why(
    sandbox, operator, colleague
):
    listed(signed_in(operator))
    plan = held(operator)
    ApiToken.objects.filter(user=operator).delete()
    opal = signed_in(colleague)
    listed(opal)
    answer = opal.post(f"/plans/{plan.pk}/resume/", follow=True)
    assert "The plan cannot resume: The plan&#x27;s owner has no API token" in text(answer)
    plan.refresh_from_db()
    assert plan.mode == Plan.Mode.PAUSED and resumed(plan) == []


@pytest.mark.django_db(transaction=True)
def test_it_resumes_by_itself_when_its_owner_stores_a_token_again(sandbox, operator, support):
    olivia, sam = signed_in(operator), signed_in(support)
    listed(olivia, sam)
    plan = Plan.objects.create(owner=operator, name="Held", servers="chosen", server_ids=[12345])
    ApiToken.objects.filter(user=operator).delete()
    assert run_once(plan).outcome == PlanRun.Outcome.STOPPED
    plan.refresh_from_db()
    assert (plan.mode, plan.paused_for) == (Plan.Mode.PAUSED, Plan.NO_TOKEN)
    seen = text(sam.get(f"/plans/{plan.pk}/"))
    assert "The plan&#x27;s owner has no API token, so the plan was paused." in seen
    assert "It resumes by itself when its owner stores an API token again." in seen
    verify_and_save(Actor.of(operator), operator, OPERATOR_TOKEN)
    plan.refresh_from_db()
    assert (plan.mode, plan.paused_reason, plan.paused_for) == (Plan.Mode.ACTIVE, "", "")
    assert resumed(plan) == [
        ("olivia", "resumed by itself: its owner's API token is stored again; owner olivia; active")
    ]
    page = text(olivia.get(f"/plans/{plan.pk}/"))
    assert "paused-heading" not in page and "Next runs" in page
    assert run_once(plan).outcome == PlanRun.Outcome.DONE


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("why", [Plan.PAUSED_BY_PERSON, Plan.TOKEN_REFUSED, Plan.OWNER_MAY_NOT])
def test_it_waits_for_a_person_when_it_paused_for_another_reason(sandbox, operator, why):
    plan = held(operator, paused_for=why)
    ApiToken.objects.filter(user=operator).delete()
    verify_and_save(Actor.of(operator), operator, OPERATOR_TOKEN)
    plan.refresh_from_db()
    assert plan.mode == Plan.Mode.PAUSED and resumed(plan) == []


@pytest.mark.django_db(transaction=True)
def test_it_knows_why_a_plan_paused_before_the_kind_was_kept_and_resumes_it_for_a_token(
    sandbox, operator
):
    """Plans paused by an earlier release (their reason in words only), as migration plans
    0005 reads them."""
    from django.apps import apps

    moved = importlib.import_module("backupsui.plans.migrations.0005_paused_for_kept_before")
    said = {
        "no token": "The plan's owner has no API token, so the plan was paused.",
        "refused": "The plan's owner's API token was refused, so the plan was paused.",
        "deactivated": "The plan's owner was deactivated, so the plan was paused.",
    }
    plans = {
        name: held(operator, paused_for="", paused_reason=Sentence(words).dumps())
        for name, words in said.items()
    }
    plans["by a person"] = held(operator, paused_for="", paused_reason="")
    plans["odd words"] = held(operator, paused_for="", paused_reason="not a sentence")
    moved.read_kinds(apps, None)
    kinds = {name: Plan.objects.get(pk=plan.pk).paused_for for name, plan in plans.items()}
    assert kinds == {
        "no token": Plan.NO_TOKEN,
        "refused": Plan.TOKEN_REFUSED,
        "deactivated": Plan.OWNER_MAY_NOT,
        "by a person": Plan.PAUSED_BY_PERSON,
        "odd words": "",
    }
    ApiToken.objects.filter(user=operator).delete()
    verify_and_save(Actor.of(operator), operator, OPERATOR_TOKEN)
    modes = {name: Plan.objects.get(pk=plan.pk).mode for name, plan in plans.items()}
    assert [name for name, mode in modes.items() if mode != Plan.Mode.PAUSED] == ["no token"]
