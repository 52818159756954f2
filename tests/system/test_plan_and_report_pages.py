"""The pages of plans (with runs, paused, needing attention), the report with restores and the
audit trail refusing a filter, in both languages and as htmx fragments, as html-validate reads
them: nothing broken."""

from datetime import UTC, datetime

import pytest

from backupsui.accounts.models import Preference
from backupsui.audit.models import Action, Outcome
from backupsui.audit.recorder import note
from backupsui.plans import runner
from backupsui.plans.models import Plan, PlanRun
from backupsui.words import Sentence
from tests import html_check
from tests.conftest import start_sandbox
from tests.helpers import FormClient, text


@pytest.fixture
def quick(settings):
    server = start_sandbox(servers=3, completion_delay=0)
    settings.BACKUPS_API_URL = server.url
    yield server
    server.stop()


def run(plan) -> PlanRun:
    return runner.carry_out(PlanRun.objects.create(plan=plan, slot=datetime.now(UTC), now=True).pk)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "sm"])
def test_it_sends_valid_plan_report_and_audit_pages(quick, operator, language):
    Preference.objects.create(user=operator, language=language)
    plan = Plan.objects.create(
        owner=operator, name="Nightly", servers="chosen", server_ids=[12345, 99999], keep_last=1
    )
    for _ in range(3):
        run(plan)
    held = Plan.objects.create(
        owner=operator,
        name="Held",
        mode=Plan.Mode.PAUSED,
        paused_for=Plan.NO_TOKEN,
        paused_reason=Sentence("Paused by %(name)s.", name="olivia").dumps(),
    )
    note(
        None,
        Action.RESTORE_REQUESTED,
        Outcome.REFUSED,
        actor_username="olivia",
        server_id=12345,
        server_name="web-server-01",
        backup_id=1,
    )
    client = FormClient()
    client.force_login(operator)
    htmx = {"HX-Request": "true", "HX-Target": "audit-results"}
    pages = {
        "/plans/": {},
        f"/plans/{plan.pk}/": {},
        f"/plans/{held.pk}/": {},
        f"/plans/{plan.pk}/edit/": {},
        "/reports/": {},
        "/reports/?until=2026-12-07": {},
        "/audit/?server_id=abc": {},
        "/audit/?from=2026-13-45": htmx,
        f"/audit/?run={plan.runs.first().pk}&action=backup_deleted": {},
    }
    fetched = {}
    for url, headers in pages.items():
        answer = client.get(url, headers=headers)
        assert answer.status_code in (200, 400), url
        fetched[url] = text(answer)
    assert html_check.problems(fetched) == []
