"""The plans' pages: who may do what, the form with its previews (with and without htmx),
the second question before a plan deletes more than half, Run now, and kept marks."""

import re
from datetime import UTC, datetime

import pytest

from backupsui.audit.models import Action, AuditEvent
from backupsui.plans import runner
from backupsui.plans.models import KeptBackup, Plan, PlanRun
from tests.conftest import start_sandbox
from tests.helpers import body_of, text


@pytest.fixture
def quick(settings):
    """A sandbox whose backups complete at once."""
    server = start_sandbox(servers=3, completion_delay=0)
    settings.BACKUPS_API_URL = server.url
    yield server
    server.stop()


FORM = {
    "name": "Nightly web",
    "servers": "pattern",
    "pattern": "web-*",
    "server_ids": "",
    "preset": "daily",
    "at": "02:30",
    "weekday": "0",
    "schedule": "",
    "zone": "America/New_York",
    "description": "",
    "keep_last": "2",
    "keep_hourly": "0",
    "keep_daily": "0",
    "keep_weekly": "0",
    "keep_monthly": "0",
    "keep_yearly": "0",
    "mode": "active",
}


@pytest.mark.django_db
def test_it_lets_operators_change_plans_and_others_only_read(client, operator, support, auditor):
    plan = Plan.objects.create(owner=operator, name="Seen")
    for person in (support, auditor):
        client.force_login(person)
        assert client.get("/plans/").status_code == 200
        assert client.get(f"/plans/{plan.pk}/").status_code == 200
        assert "Run now" not in text(client.get(f"/plans/{plan.pk}/"))
        assert client.get("/plans/new/").status_code == 403
        assert client.post(f"/plans/{plan.pk}/run/").status_code == 403
        assert client.post(f"/plans/{plan.pk}/delete/").status_code == 403
    client.force_login(operator)
    assert "Run now" in text(client.get(f"/plans/{plan.pk}/"))


@pytest.mark.django_db
def test_it_shows_the_next_runs_before_saving_with_or_without_htmx(operator_client, sandbox):
    page = text(operator_client.get("/plans/new/"))
    assert 'hx-get="/plans/preview/"' in page
    part = operator_client.get("/plans/preview/", FORM, headers={"HX-Request": "true"})
    runs = re.findall(r"<time datetime=\"[^\"]+\">([^<]+)</time>", text(part))
    assert len(runs) == 5 and all("02:30" in r and ("EST" in r or "EDT" in r) for r in runs)
    # Without JavaScript: the Preview button shows the same on the whole page, saving nothing.
    shown = operator_client.post("/plans/new/", {**FORM, "preview": "1"})
    assert shown.status_code == 200 and "02:30" in text(shown)
    assert "The next 12 weeks" in text(shown)
    assert not Plan.objects.exists()


@pytest.mark.django_db
def test_it_saves_a_plan_and_runs_it_now(operator_client, operator, sandbox):
    saved = operator_client.post("/plans/new/", FORM)
    plan = Plan.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/plans/{plan.pk}/"
    assert (plan.schedule, plan.zone, plan.keep_last, plan.owner) == (
        "30 2 * * *",
        "America/New_York",
        2,
        operator,
    )
    assert operator_client.post(f"/plans/{plan.pk}/run/").status_code == 302
    run = PlanRun.objects.get(plan=plan, now=True)
    runner.carry_out(run.pk)
    page = text(operator_client.get(f"/plans/{plan.pk}/"))
    assert "Run now" in page and f'id="run-{run.pk}"' in page
    listing = text(operator_client.get("/backups/?server_id=12345"))
    assert "plan Nightly web" in listing


@pytest.mark.django_db
def test_it_asks_once_more_before_rules_that_delete_more_than_half(
    operator_client, operator, quick
):
    plan = Plan.objects.create(owner=operator, name="Many", servers="chosen", server_ids=[12345])
    for _ in range(4):
        runner.carry_out(PlanRun.objects.create(plan=plan, slot=datetime.now(UTC), now=True).pk)
    edit = {**FORM, "name": "Many", "servers": "chosen", "server_ids": "12345", "keep_last": "1"}
    first = operator_client.post(f"/plans/{plan.pk}/edit/", edit)
    assert first.status_code == 200
    assert "would delete 3 of the plan" in text(first)
    plan.refresh_from_db()
    assert plan.keep_last == 0
    again = operator_client.post(f"/plans/{plan.pk}/edit/", {**edit, "confirm_deletes": "3"})
    assert again.status_code == 302
    plan.refresh_from_db()
    assert plan.keep_last == 1


@pytest.mark.django_db
def test_it_refuses_to_delete_a_kept_backup_until_released(operator_client, operator, sandbox):
    backup = next(iter(sandbox.state.backups.values()))
    marked = operator_client.post(f"/backups/{backup.id}/kept/", {"next": "/backups/"})
    assert marked.status_code == 302
    assert KeptBackup.objects.filter(backup_id=backup.id).exists()
    refused = operator_client.post(f"/backups/{backup.id}/delete/", {})
    assert refused.status_code == 409 and "release it first" in text(refused)
    assert backup.id in sandbox.state.backups
    operator_client.post(f"/backups/{backup.id}/kept/", {"release": "1"})
    assert not KeptBackup.objects.exists()
    actions = list(AuditEvent.objects.values_list("action", flat=True).order_by("id"))
    assert Action.BACKUP_KEPT in actions and Action.BACKUP_RELEASED in actions
    assert Action.BACKUP_DELETED not in actions


@pytest.mark.django_db
def test_it_lets_only_operators_mark_backups_kept(support_client, sandbox):
    backup = next(iter(sandbox.state.backups.values()))
    assert support_client.post(f"/backups/{backup.id}/kept/").status_code == 403


@pytest.mark.django_db
def test_it_filters_the_audit_trail_and_its_csv_by_plan(operator_client, operator, sandbox):
    plan = Plan.objects.create(owner=operator, name="Audited", servers="chosen", server_ids=[12345])
    runner.carry_out(PlanRun.objects.create(plan=plan, slot=datetime.now(UTC), now=True).pk)
    page = text(operator_client.get(f"/audit/?plan={plan.pk}"))
    assert page.count("Backup requested") >= 1 and "plan Audited" in page
    assert "Showing the events of backup plan" in page
    assert "plan Audited" not in text(operator_client.get("/audit/?plan=999"))
    csv = body_of(operator_client.get(f"/audit/export.csv?plan={plan.pk}"))
    lines = csv.strip().splitlines()
    assert "plan name" in lines[0] and len(lines) == 2 and "Audited" in lines[1]


@pytest.mark.django_db
def test_it_shows_the_plan_pages_in_samoan(operator_client, operator, quick):
    from backupsui.accounts.models import Preference
    from tests.system.test_languages import english_sentences, visible

    Preference.objects.create(user=operator, language="sm")
    plan = Plan.objects.create(
        owner=operator, name="Po", servers="chosen", server_ids=[12345], keep_last=1
    )
    for _ in range(3):
        runner.carry_out(PlanRun.objects.create(plan=plan, slot=datetime.now(UTC), now=True).pk)
    sentences = english_sentences()
    # What is data, not the panel's words: names, the API's answers, the rules' option names
    # what a run recorded in English (like the audit trail), the description's placeholders.
    data = ["olivia", "Po", "web-server-01", "not kept: beyond keep-last 1", "{plan}", "{slot}"]
    left = {}
    for url in ("/plans/", "/plans/new/", f"/plans/{plan.pk}/", f"/plans/{plan.pk}/edit/"):
        response = operator_client.get(url)
        assert response.status_code == 200, url
        found = sorted({p.pattern for p in sentences if p.search(visible(text(response), data))})
        if found:
            left[url] = found
    assert left == {}


@pytest.mark.django_db
def test_it_tells_the_owner_by_email_when_a_plan_pauses(operator, quick, mailoutbox):
    from backupsui.alerts.models import Subscription

    type(operator).objects.filter(pk=operator.pk).update(email="olivia@example.test")
    Subscription.objects.create(user=operator, by_email=True)
    plan = Plan.objects.create(owner=operator, name="Told", keep_last=1)
    operator.groups.clear()  # no longer an operator: may not create backups
    run = runner.carry_out(PlanRun.objects.create(plan=plan, slot=datetime.now(UTC), now=True).pk)
    assert run.outcome == PlanRun.Outcome.STOPPED
    [mail] = mailoutbox
    assert mail.to == ["olivia@example.test"] and "Told" in mail.subject
    assert "may no longer create backups" in mail.body


@pytest.mark.django_db
def test_it_shows_each_servers_plans_next_run_and_lateness(operator_client, operator, quick):
    quick.state.add_backup(12346, backup_type="manual")  # completed just now
    plan = Plan.objects.create(
        owner=operator,
        name="Minutely",
        schedule="* * * * *",
        servers="chosen",
        server_ids=[12345, 12346],
    )
    page = text(operator_client.get("/servers/"))
    rows = {
        server: re.search(rf'<tr id="server-{server}">(.*?)</tr>', page, re.S).group(1)
        for server in (12345, 12346, 12347)
    }
    assert f"/plans/{plan.pk}/" in rows[12345] and "plan Minutely" in rows[12346]
    # Its health follows the every-minute plan: 12345's newest completed backup is hours old.
    assert "badge-health-bad" in rows[12345] and "bad for plan Minutely" in rows[12345]
    assert "badge-health-good" in rows[12346] and "for plan" not in rows[12346]
    assert "plan Minutely" not in rows[12347]
