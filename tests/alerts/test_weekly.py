"""The weekly report by email: asked for (and stopped) on /reports/ without JavaScript, due
Mondays at 07:00 in the panel's time zone (across a clock change), the figures of the report
page for the seven days before, in the person's language (Samoan too), once per person and
week however many rounds run (two at once included) and however long the workers were away,
and only to people still active and still Auditors or Operators."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from backupsui.accounts.models import Preference, WeeklyReport
from backupsui.alerts import tasks, weekly
from backupsui.audit.models import Action, AuditEvent, Outcome
from backupsui.backups.lists import memory
from backupsui.jobs import scheduler
from tests.conftest import start_sandbox
from tests.helpers import FormClient, at_once, body_of, text

pytestmark = pytest.mark.django_db(transaction=True)

# Europe's clocks go forward on Sunday 28 March 2027: 07:00 in Berlin is 06:00 UTC on Monday
# the 22nd and 05:00 UTC on Monday the 29th.
ASKED = datetime(2027, 3, 24, 12, 0, tzinfo=UTC)  # a Wednesday
MONDAY_BEFORE = datetime(2027, 3, 29, 5, 0, tzinfo=UTC)  # 07:00 CEST
MONDAY_AFTER = datetime(2027, 4, 5, 5, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


@pytest.fixture
def world(settings):
    """A sandbox whose history ends where the test's clock starts (started once travelled)."""
    started = []

    def start():
        server = start_sandbox(servers=3, completion_delay=0.5, restore_delay=0.5)
        settings.BACKUPS_API_URL = server.url
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def asks(user, email="olivia@example.com", language=""):
    user.email = email
    user.save()
    Preference.objects.update_or_create(user=user, defaults={"language": language})
    Preference.want_weekly_report(user, True, datetime.now(UTC))


def run_round():
    memory.clear()  # as another worker process would: no list in memory
    return weekly.send_due()


def test_it_sends_the_report_mondays_at_seven_in_the_panels_time_zone_across_a_clock_change(
    berlin, world, operator, mailoutbox
):
    with time_machine.travel(ASKED, tick=True) as clock:
        world()
        asks(operator)
        AuditEvent.objects.create(
            action=Action.BACKUP_DELETED,
            actor_username="sam",
            server_id=12345,
            server_name="web-server-01",
            backup_id=4242,
            outcome=Outcome.ACCEPTED,
            created_at=ASKED + timedelta(hours=1),
        )
        # Monday the 22nd's 07:00 came before she asked: nothing for that week.
        assert run_round() == 0
        clock.move_to(MONDAY_BEFORE - SECOND)  # 06:59:59 in Berlin, summer time
        assert run_round() == 0
        assert mailoutbox == []
        clock.move_to(MONDAY_BEFORE)
        assert run_round() == 1
        assert run_round() == 0  # the same slot again
        [email] = mailoutbox
        assert email.to == ["olivia@example.com"]
        assert email.subject == "Backups report for 2027-03-22 – 2027-03-28"
        # Whole days in Berlin: from midnight in winter time to midnight in summer time.
        assert "From 2027-03-22 00:00 CET until 2027-03-29 00:00 CEST." in email.body
        # The figures are the report page's for those days.
        client = FormClient()
        client.force_login(operator)
        period = {"since": "2027-03-22", "until": "2027-03-28"}
        page = csv.DictReader(io.StringIO(body_of(client.get("/reports/export.csv", period))))
        rows = list(page)
        assert {row["server"] for row in rows} == {
            "web-server-01",
            "db-server-02",
            "cache-server-03",
        }
        for row in rows:
            assert int(row["completed"]) >= 7  # one automatic backup a day at least
            server = f"{row['server']} (#{row['server id']})"
            assert f"{server}\n- Completed backups: {row['completed']}\n" in email.body
        assert "- Deletions: 1\n  2027-03-24 14:00 · sam · Backup deleted 4242 · Accepted\n" in (
            email.body
        )
        completed = sum(int(row["completed"]) for row in rows)
        assert f"- Completed backups: {completed}\n" in email.body  # the totals
        [(html, kind)] = email.alternatives
        assert kind == "text/html" and "<table" in html and "web-server-01" in html
        # A week later, 07:00 is 05:00 UTC still (summer time): the next week, once.
        clock.move_to(MONDAY_AFTER - SECOND)
        assert run_round() == 0
        clock.move_to(MONDAY_AFTER)
        assert run_round() == 1
        assert mailoutbox[1].subject == "Backups report for 2027-03-29 – 2027-04-04"
    assert list(WeeklyReport.objects.values_list("week", "outcome").order_by("week")) == [
        (datetime(2027, 3, 29).date(), "sent"),
        (datetime(2027, 4, 5).date(), "sent"),
    ]


def test_it_sends_one_email_not_three_after_the_workers_were_away_three_weeks(
    berlin, world, operator, mailoutbox
):
    with time_machine.travel(ASKED, tick=True) as clock:
        world()
        asks(operator)
        # The scheduler kept queueing the round every quarter of an hour; no worker ran for
        # three weeks; now one comes back and works through every round queued.
        back = MONDAY_BEFORE + timedelta(days=14, hours=3)
        clock.move_to(back)
        slot = MONDAY_BEFORE - timedelta(hours=1)
        while slot < back:
            memory.clear()
            tasks.weekly_report_round.call(slot.isoformat())
            slot += timedelta(hours=6)
    [email] = mailoutbox
    assert email.subject == "Backups report for 2027-04-05 – 2027-04-11"  # the latest week


def test_it_writes_in_the_persons_language_samoan_too(berlin, world, operator, mailoutbox):
    with time_machine.travel(ASKED, tick=True) as clock:
        world()
        asks(operator, language="sm")
        clock.move_to(MONDAY_BEFORE)
        assert run_round() == 1
    [email] = mailoutbox
    assert email.subject == "Lipoti o faʻaleoleo mo le 2027-03-22 – 2027-03-28"
    for samoan in ("Talofa olivia,", "O le vaitaimi atoa", "Faʻaleoleo ua maeʻa", "Lipoti"):
        assert samoan in email.body
    assert "Completed backups" not in email.body
    [(html, _kind)] = email.alternatives
    assert '<html lang="sm">' in html and "O le vaitaimi atoa" in html


def test_it_sends_once_when_two_rounds_run_at_the_same_moment(
    berlin, world, operator, auditor, mailoutbox
):
    with time_machine.travel(ASKED, tick=True) as clock:
        world()
        asks(operator)
        asks(auditor, email="ada@example.com")
        clock.move_to(MONDAY_BEFORE)
        memory.clear()
        at_once(weekly.send_due)
        assert run_round() == 0
    assert sorted(email.to[0] for email in mailoutbox) == ["ada@example.com", "olivia@example.com"]
    assert WeeklyReport.objects.count() == 2


def test_it_sends_nothing_to_people_no_longer_allowed_or_deactivated(
    berlin, world, operator, auditor, support, django_user_model, mailoutbox
):
    with time_machine.travel(ASKED, tick=True) as clock:
        world()
        asks(operator)
        asks(auditor, email="ada@example.com")
        asks(support, email="sam@example.com")  # support never could read the report
        operator.groups.remove(Group.objects.get(name="Operators"))  # lost the role
        auditor.is_active = False
        auditor.save()
        clock.move_to(MONDAY_BEFORE)
        assert run_round() == 0
    assert mailoutbox == []
    assert not WeeklyReport.objects.exists()


def test_it_is_asked_for_and_stopped_on_the_report_page_without_javascript(
    world, operator, support, mailoutbox
):
    world()
    client = FormClient()
    client.force_login(operator)
    page = text(client.get("/reports/"))
    assert 'action="/reports/weekly/"' in page and "Email me this report every week" in page
    answer = client.post("/reports/weekly/", {"weekly": "on"})
    assert answer.status_code == 302 and answer["Location"] == "/reports/"
    since = Preference.objects.get(user=operator).weekly_report_since
    assert since is not None
    page = text(client.get("/reports/"))
    assert "Stop the weekly email" in page and "every Monday at 07:00 (UTC)" in page
    assert "has no email address" in page
    client.post("/reports/weekly/", {"weekly": "on"})  # sent twice: the first time stays
    assert Preference.objects.get(user=operator).weekly_report_since == since
    client.post("/reports/weekly/", {"weekly": "off"})
    assert not Preference.weekly_report_wanted(operator)
    assert client.get("/reports/weekly/").status_code == 405
    as_support = FormClient()
    as_support.force_login(support)
    assert as_support.post("/reports/weekly/", {"weekly": "on"}).status_code == 403
    assert not Preference.weekly_report_wanted(support)


def test_it_is_a_round_of_the_scheduler_on_the_alerts_queue():
    [round_] = [r for r in scheduler.ROUNDS if r.name == "weekly_reports"]
    with time_machine.travel(MONDAY_BEFORE, tick=False):
        assert scheduler.claim(round_) == MONDAY_BEFORE
        assert scheduler.claim(round_) is None
    [queued] = DBTaskResult.objects.all()
    assert queued.queue_name == "alerts" and queued.status == TaskResultStatus.READY
    assert queued.task_path == "backupsui.alerts.tasks.weekly_report_round"
