"""The plans' pages: who may do what, the form with its previews (with and without htmx),
the second question before a plan deletes more than half, Run now, and kept marks."""

import re
from datetime import UTC, datetime

import pytest
from django.utils.translation import gettext_noop

from backupsui.accounts.models import ApiToken
from backupsui.audit.models import Action, AuditEvent
from backupsui.plans import runner
from backupsui.plans.models import KeptBackup, Plan, PlanRun
from backupsui.words import Sentence
from tests.accounts.test_second_factors import age_confirmations, sign_in
from tests.conftest import OTHER_TOKEN, PASSWORD, SUPPORT_TOKEN, make_user, start_sandbox
from tests.helpers import FormClient, UpstreamLog, body_of, text


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


def signed_in(user) -> FormClient:
    client = FormClient()
    client.force_login(user)
    return client


def listed(*clients) -> None:
    """Each person's token lists their servers once, as the first page after signing in."""
    for client in clients:
        assert client.get("/backups/").status_code == 200


@pytest.mark.django_db
def test_it_lets_operators_change_plans_and_others_only_read(
    client, sandbox, operator, support, auditor
):
    listed(signed_in(operator))
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
    # A plan paused by a person, and one whose chosen server is gone (needs attention).
    held = Plan.objects.create(
        owner=operator,
        name="Po",
        servers="chosen",
        server_ids=[12345],
        mode=Plan.Mode.PAUSED,
        paused_for=Plan.PAUSED_BY_PERSON,
        resumes_as=Plan.Mode.PREVIEW,
        paused_reason=Sentence(gettext_noop("Paused by %(name)s."), name="olivia").dumps(),
    )
    gone = Plan.objects.create(owner=operator, name="Po", servers="chosen", server_ids=[99999])
    runner.carry_out(PlanRun.objects.create(plan=gone, slot=datetime.now(UTC), now=True).pk)
    sentences = english_sentences()
    # What is data, not the panel's words: names, the API's answers, the rules' option names
    # what a run recorded in English (like the audit trail), the description's placeholders.
    data = ["olivia", "Po", "web-server-01", "not kept: beyond keep-last 1", "{plan}", "{slot}"]
    left = {}
    pages = ("/plans/", "/plans/new/", f"/plans/{plan.pk}/", f"/plans/{plan.pk}/edit/")
    for url in (*pages, f"/plans/{held.pk}/", f"/plans/{gone.pk}/"):
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


# Plans belong to an account ---------------------------------------------------------------


@pytest.mark.django_db
def test_it_keeps_an_operator_of_another_account_off_a_plan_and_sends_nothing(
    sandbox, operator, other_operator
):
    olivia, oscar = signed_in(operator), signed_in(other_operator)
    listed(olivia, oscar)
    plan = Plan.objects.create(owner=operator, name="Acme nightly", keep_last=1)
    log = UpstreamLog(sandbox)
    taken = {**FORM, "name": "Taken", "servers": "all", "take_over": "1"}
    answers = {
        "page": oscar.get(f"/plans/{plan.pk}/"),
        "preview": oscar.get("/plans/preview/", {"plan": plan.pk}),
        "edit form": oscar.get(f"/plans/{plan.pk}/edit/"),
        "edit, taking over": oscar.post(f"/plans/{plan.pk}/edit/", taken),
        "run now": oscar.post(f"/plans/{plan.pk}/run/"),
        "delete form": oscar.get(f"/plans/{plan.pk}/delete/"),
        "delete": oscar.post(f"/plans/{plan.pk}/delete/"),
    }
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 404)
    assert "Acme nightly" not in text(oscar.get("/plans/"))
    assert log.requests == []  # nothing sent, with anyone's token
    plan.refresh_from_db()
    assert (plan.name, plan.owner, plan.keep_last) == ("Acme nightly", operator, 1)
    assert not PlanRun.objects.exists()
    assert not AuditEvent.objects.filter(plan_id=plan.pk).exists()


@pytest.mark.django_db
def test_it_shows_support_and_auditors_only_the_plans_and_previews_of_their_account(
    quick, operator, support, auditor, other_operator
):
    listed(signed_in(operator), signed_in(other_operator))
    ours = Plan.objects.create(owner=operator, name="Acme daily")
    theirs = Plan.objects.create(owner=other_operator, name="Globex hourly", keep_last=5)
    run = runner.carry_out(PlanRun.objects.create(plan=theirs, slot=datetime.now(UTC)).pk)
    made = list(theirs.backups.values_list("backup_id", flat=True))
    assert run.outcome == PlanRun.Outcome.DONE and len(made) == 3
    log = UpstreamLog(quick)
    for person in (support, auditor):
        client = signed_in(person)
        listed(client)
        log.clear()
        assert client.get("/plans/preview/", {"plan": theirs.pk}).status_code == 404
        assert client.get(f"/plans/{theirs.pk}/").status_code == 404
        page = text(client.get("/plans/"))
        assert "Acme daily" in page and "Globex hourly" not in page
        assert f"/plans/{ours.pk}/" in page
        preview = text(client.get("/plans/preview/", {"plan": ours.pk}))
        assert not any(str(backup_id) in preview for backup_id in made)
        assert log.by(OTHER_TOKEN) == [] and log.changes() == []


@pytest.mark.django_db
def test_it_sends_a_person_without_a_token_to_store_one_before_any_plan(client, sandbox, operator):
    listed(signed_in(operator))
    plan = Plan.objects.create(owner=operator, name="Tokenless")
    ApiToken.objects.filter(user=operator).delete()
    client.force_login(operator)
    for url in ("/plans/", f"/plans/{plan.pk}/"):
        answer = client.get(url)
        assert answer.status_code == 302 and answer["Location"].startswith("/account/token/")


@pytest.fixture
def colleague(db, django_user_model):
    """Another Operator of olivia's account (a token of its own)."""
    return make_user(django_user_model, "opal", "Operators", SUPPORT_TOKEN)


def late_colleague(settings) -> FormClient:
    """Opal, signed in with her password longer ago than BACKUPSUI_REAUTH_MINUTES."""
    client = FormClient()
    assert sign_in(client, "opal").status_code == 302
    listed(client)
    age_confirmations(client, settings.BACKUPSUI_REAUTH_MINUTES + 1)
    return client


CHANGES = {
    "edit": ("edit/", {**FORM, "servers": "all", "keep_last": "3"}, "plan_changed"),
    "take over": (
        "edit/",
        {**FORM, "servers": "all", "take_over": "1"},
        "plan_taken_over",
    ),
    "run now": ("run/", {}, "plan_run_requested"),
    "delete": ("delete/", {}, "plan_deleted"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("change", list(CHANGES))
def test_it_asks_to_confirm_before_a_change_of_a_plan_then_makes_it_once_on_record(
    sandbox, operator, colleague, settings, change
):
    listed(signed_in(operator))
    plan = Plan.objects.create(owner=operator, name="Nightly web", keep_last=2)
    path, data, action = CHANGES[change]
    opal = late_colleague(settings)
    asked = opal.post(f"/plans/{plan.pk}/{path}", data)
    assert asked.status_code == 302
    assert asked["Location"].startswith("/accounts/reauthenticate/?next=")
    plan.refresh_from_db()
    assert (plan.owner, plan.keep_last) == (operator, 2) and not PlanRun.objects.exists()
    assert not AuditEvent.objects.filter(plan_id=plan.pk).exists()
    done = opal.post(
        "/accounts/reauthenticate/", {"password": PASSWORD, "next": f"/plans/{plan.pk}/{path}"}
    )
    assert done.status_code == 302
    [event] = AuditEvent.objects.filter(plan_id=plan.pk)
    assert (event.action, event.actor_username, event.plan_name) == (action, "opal", plan.name)
    if change == "delete":
        assert not Plan.objects.filter(pk=plan.pk).exists()
        return
    plan.refresh_from_db()
    assert plan.owner == (colleague if change == "take over" else operator)
    assert plan.keep_last == (3 if change == "edit" else 2)
    if change == "run now":
        [run] = PlanRun.objects.all()
        assert run.asked_by == colleague and event.plan_run_id == run.pk


@pytest.mark.django_db
def test_it_records_what_a_run_now_makes_and_deletes_under_the_run_and_who_pressed_it(
    quick, operator, colleague
):
    olivia, opal = signed_in(operator), signed_in(colleague)
    listed(olivia, opal)
    plan = Plan.objects.create(
        owner=operator, name="Pressed", servers="chosen", server_ids=[12345], keep_last=1
    )
    scheduled = runner.carry_out(PlanRun.objects.create(plan=plan, slot=datetime.now(UTC)).pk)
    assert opal.post(f"/plans/{plan.pk}/run/").status_code == 302
    pressed = runner.carry_out(PlanRun.objects.get(plan=plan, now=True).pk)
    assert (pressed.created, pressed.deleted) == (1, 1)
    made = {
        (e.action, e.actor_username, e.plan_id, e.plan_name, e.run_now_by)
        for e in AuditEvent.objects.filter(plan_run_id=pressed.pk)
    }
    assert made == {
        (Action.PLAN_RUN_REQUESTED, "opal", plan.pk, "Pressed", ""),  # the button, by opal
        # What the run did, as the plan's owner, naming who pressed the button.
        (Action.BACKUP_REQUESTED, "olivia", plan.pk, "Pressed", "opal"),
        (Action.BACKUP_DELETED, "olivia", plan.pk, "Pressed", "opal"),
    }
    by_schedule = AuditEvent.objects.filter(plan_run_id=scheduled.pk)
    assert [(e.action, e.run_now_by) for e in by_schedule] == [(Action.BACKUP_REQUESTED, "")]
    trail = text(olivia.get(f"/audit/?plan={plan.pk}"))
    assert trail.count("Run now by opal") == 2
    assert "Run now by opal" in text(olivia.get(f"/plans/{plan.pk}/"))


@pytest.mark.django_db
def test_it_records_a_new_plan_as_created_and_a_change_as_changed(operator_client, sandbox):
    assert operator_client.post("/plans/new/", FORM).status_code == 302
    plan = Plan.objects.get()
    edited = {**FORM, "keep_last": "3"}
    assert operator_client.post(f"/plans/{plan.pk}/edit/", edited).status_code == 302
    recorded = [(e.action, e.actor_username) for e in AuditEvent.objects.filter(plan_id=plan.pk)]
    assert sorted(recorded) == [(Action.PLAN_CHANGED, "olivia"), (Action.PLAN_CREATED, "olivia")]


@pytest.mark.django_db
def test_it_refuses_chosen_servers_the_token_does_not_show(operator_client, sandbox):
    chosen = {**FORM, "servers": "chosen", "server_ids": "12345, 12348, 99999"}
    refused = operator_client.post("/plans/new/", chosen)
    assert refused.status_code == 200
    assert "Your API token does not show these servers: 12348, 99999." in text(refused)
    assert not Plan.objects.exists()
    assert operator_client.post("/plans/new/", {**chosen, "server_ids": "12345"}).status_code == 302


@pytest.mark.django_db
def test_it_refuses_a_schedule_of_every_minute_with_the_reason(operator_client, sandbox):
    every_minute = {**FORM, "preset": "custom", "schedule": "* * * * *"}
    refused = operator_client.post("/plans/new/", every_minute)
    assert refused.status_code == 200
    assert "Runs of a plan must be at least 60 minutes apart" in text(refused)
    assert "this schedule has two runs 1 minute apart" in text(refused)
    assert not Plan.objects.exists()
    hourly = {**every_minute, "schedule": "0 * * * *"}
    assert operator_client.post("/plans/new/", hourly).status_code == 302


@pytest.mark.django_db
def test_it_shows_the_chosen_servers_by_name_with_their_ids(operator_client, operator, sandbox):
    listed(operator_client)
    plan = Plan.objects.create(
        owner=operator, name="Named", servers="chosen", server_ids=[12345, 12347, 99999]
    )
    page = text(operator_client.get(f"/plans/{plan.pk}/"))
    chosen = re.search(r'<ul class="plain chosen">(.*?)</ul>', page, re.S).group(1)
    items = [re.sub(r"<[^>]+>", "", item).split() for item in re.findall(r"<li>(.*?)</li>", chosen)]
    assert items == [
        ["web-server-01", "#12345"],
        ["cache-server-03", "#12347"],
        ["#99999", "(not", "in", "your", "API", "token's", "list)"],
    ]
    assert 'href="/servers/12345/"' in chosen


@pytest.mark.django_db
def test_it_links_a_runs_counts_to_the_audit_events_of_that_run(operator_client, operator, quick):
    plan = Plan.objects.create(
        owner=operator, name="Pruned", servers="chosen", server_ids=[12345], keep_last=1
    )
    runs = [
        runner.carry_out(PlanRun.objects.create(plan=plan, slot=datetime.now(UTC), now=True).pk)
        for _ in range(3)
    ]
    assert [(r.created, r.deleted) for r in runs] == [(1, 0), (1, 1), (1, 1)]
    page = text(operator_client.get(f"/plans/{plan.pk}/"))
    assert '<div class="table-wrap">\n<table class="runs cards">' in page
    row = re.search(rf'<tr id="run-{runs[1].pk}">(.*?)</tr>', page, re.S).group(1)
    link = re.search(r'<td data-label="Deleted"><a href="([^"]+)"[^>]*>1</a></td>', row)
    assert link is not None and 'aria-label="1 backup deleted: its audit event"' in row
    trail = operator_client.get(link.group(1).replace("&amp;", "&"))
    shown = re.findall(r'<tr id="event-(\d+)">', text(trail))
    deleted = AuditEvent.objects.get(plan_run_id=runs[1].pk, action=Action.BACKUP_DELETED)
    assert shown == [str(deleted.pk)]
    assert f"Showing the events of backup plan run {runs[1].pk} only." in text(trail)
    first = re.search(rf'<tr id="run-{runs[0].pk}">(.*?)</tr>', page, re.S).group(1)
    assert '<td data-label="Deleted">0</td>' in first  # nothing deleted: nothing to link


@pytest.mark.django_db
def test_it_says_a_plan_without_rules_keeps_everything(operator_client, sandbox):
    kept_all = {**FORM, "keep_last": "0"}
    assert operator_client.post("/plans/new/", kept_all).status_code == 302
    plan = Plan.objects.get()
    page = text(operator_client.get(f"/plans/{plan.pk}/"))
    assert "<dt>Retention</dt><dd>keeps everything</dd>" in page
    row = re.search(
        rf'<tr id="plan-{plan.pk}">(.*?)</tr>', text(operator_client.get("/plans/")), re.S
    )
    assert '<td data-label="Retention">keeps everything</td>' in row.group(1)
    [created] = AuditEvent.objects.filter(plan_id=plan.pk)
    assert "; keeps all; active" in created.message
