"""What the periodic round (the real worker, `db_worker --batch`) says about a server that
turns bad: one alert naming the server and its newest backup, one "recovered" when it has a
completed backup again, a reminder every BACKUPSUI_ALERT_REMIND_HOURS while it stays bad, and
nothing while it is muted (a mute shown on /servers/ and audited). A round run again, as a
second worker would, sends nothing twice: in two threads, and in two alerts worker processes
running the round for one slot at once. One person's slow receivers do not hold up another
person's alert beyond the deadline."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from backupsui.accounts.crypto import encrypt
from backupsui.alerts.models import AppriseUrl, Delivery, SentAlert, Subscription
from backupsui.alerts.tasks import alerts_round
from backupsui.alerts.tasks import send_test_alert as send_test_alert_task
from backupsui.alerts.watch import send_test_alert, watch_everyone
from backupsui.audit.models import AuditEvent
from backupsui.backups.lists import memory
from backupsui.backups.models import ServerState
from tests.alerts.test_delivery import Dripper
from tests.alerts.test_watch import Receiver, run_round
from tests.helpers import at_once, text
from tests.stack import MailSink, Workers, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
BAD_SERVER = 12346


@pytest.fixture
def watching(sandbox, operator, settings):
    """Olivia is told by email when a server turns bad; the first round has looked."""
    operator.email = "olivia@example.com"
    operator.save()
    Subscription.objects.create(user=operator, on_failure=False, on_bad=True, by_email=True)
    run_round()
    assert mail.outbox == []
    return operator


def turn_bad(sandbox, server_id=BAD_SERVER):
    now = datetime.now(UTC)
    for backup in sandbox.state.backups.values():
        if backup.server.id == server_id and backup.created_at > now - timedelta(hours=49):
            sandbox.state.fail_backup(backup.id)
    memory.clear()


def round_again():
    memory.clear()
    run_round()


def test_it_says_a_bad_server_recovered_once(watching, sandbox):
    turn_bad(sandbox)
    round_again()
    [bad] = mail.outbox
    assert "db-server-02" in bad.body and f"#{BAD_SERVER}" in bad.body
    assert "newest completed backup" in bad.body  # which backup: its id and time
    round_again()
    assert len(mail.outbox) == 1
    fresh = sandbox.state.add_backup(BAD_SERVER)
    round_again()
    assert len(mail.outbox) == 2
    recovered = mail.outbox[1]
    assert "has recovered" in recovered.body and f"backup #{fresh.id}" in recovered.body
    round_again()  # as a second worker's round would: nothing twice
    assert len(mail.outbox) == 2
    assert SentAlert.objects.filter(kind=SentAlert.RECOVERED).count() == 1


def test_it_reminds_once_per_period_while_a_server_stays_bad(watching, sandbox, settings):
    settings.BACKUPSUI_ALERT_REMIND_HOURS = 24
    turn_bad(sandbox)
    round_again()
    assert len(mail.outbox) == 1
    round_again()  # not a day yet
    assert len(mail.outbox) == 1
    # A day and a bit has passed since the alert was sent.
    SentAlert.objects.filter(kind=SentAlert.BAD).update(
        created_at=datetime.now(UTC) - timedelta(hours=25)
    )
    round_again()
    assert len(mail.outbox) == 2 and "Still bad" in mail.outbox[1].body
    round_again()
    assert len(mail.outbox) == 2
    settings.BACKUPSUI_ALERT_REMIND_HOURS = 0  # never
    SentAlert.objects.filter(kind=SentAlert.BAD).update(
        created_at=datetime.now(UTC) - timedelta(hours=49)
    )
    round_again()
    assert len(mail.outbox) == 2


def test_it_sends_nothing_about_a_muted_server_until_the_mute_ends(
    watching, sandbox, operator_client
):
    page = text(operator_client.get(f"/servers/{BAD_SERVER}/mute/"))
    assert "db-server-02" in page
    assert operator_client.post(f"/servers/{BAD_SERVER}/mute/", {"hours": "4"}).status_code == 302
    event = AuditEvent.objects.get(action="server_muted")
    assert event.server_id == BAD_SERVER and event.actor_username == "olivia"
    assert "muted until" in text(operator_client.get("/servers/"))
    turn_bad(sandbox)
    round_again()
    assert mail.outbox == []
    operator_client.post(f"/servers/{BAD_SERVER}/mute/", {"hours": "0"})
    assert AuditEvent.objects.filter(action="server_unmuted").count() == 1
    round_again()
    assert len(mail.outbox) == 1 and "db-server-02" in mail.outbox[0].body


def test_it_lets_only_operators_mute(watching, support_client):
    assert support_client.get(f"/servers/{BAD_SERVER}/mute/").status_code == 403
    assert "Mute" not in text(support_client.get("/servers/"))


def test_it_shows_the_last_ten_deliveries_and_each_ways_last_failure(
    watching, sandbox, operator_client
):
    Delivery.objects.create(
        user=watching,
        channel=Delivery.WEBHOOK,
        kind="test",
        subject='[["backupsui: a test alert", {}]]',
        ok=False,
        outcome='[["The webhook failed %(tries)d times (%(status)s).", '
        '{"tries": 3, "status": "HTTP 500"}]]',
        sent_at=datetime.now(UTC) - timedelta(hours=1),
    )
    subscription = Subscription.objects.select_related("user").get(user=watching)
    for _ in range(11):  # later deliveries, all fine
        send_test_alert(subscription)
    assert Delivery.objects.filter(ok=True).count() == 11
    page = text(operator_client.get("/account/alerts/"))
    shown = page.split("The last ten deliveries")[1].split("</table>")[0]
    assert shown.count("Emailed.") == 10 and "webhook" not in shown
    # Each way's last failure, kept from before failures said only "not delivered": shown
    # as that, without what answered.
    failures = page.split("The last ten deliveries")[0].split("Last failure of each way")[1]
    assert "webhook: Not delivered." in failures and "500" not in failures


def test_it_sends_each_notice_once_when_two_workers_look_at_the_same_moment(watching, sandbox):
    """Two rounds at once (two workers whose schedules both came due): the bad alert, then
    the recovered notice, each go out once."""

    def two_at_once():
        memory.clear()
        at_once(watch_everyone)

    turn_bad(sandbox)
    two_at_once()
    assert len(mail.outbox) == 1
    sandbox.state.add_backup(BAD_SERVER)
    two_at_once()
    assert len(mail.outbox) == 2 and "has recovered" in mail.outbox[1].body


class Gate:
    """Holds the first list request the sandbox gets until a second one comes (two rounds
    are then provably at the same point at once), then lets every request through."""

    def __init__(self, real):
        self.real, self.asked, self.both = real, 0, threading.Event()
        self.lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self.lock:
            self.asked += 1
            if self.asked >= 2:
                self.both.set()
        self.both.wait(30)
        return self.real(*args, **kwargs)


def test_it_sends_recovered_reminder_and_unmuted_notices_once_from_two_worker_processes(
    watching, sandbox, monkeypatch
):
    """Two alerts workers (`manage.py worker --queue-name alerts`, as deployed) run the round
    for one slot at once (queued twice, as two schedulers' clocks might): one server
    recovered, one due its reminder, one muted; each notice reaches the mail server once,
    and the muted server's only once its mute has ended."""
    recovering, reminded, muted = 12345, BAD_SERVER, 12347
    names = {i: sandbox.state.servers[i].name for i in (recovering, reminded, muted)}
    ServerState.objects.filter(server_id=muted).update(
        muted_until=datetime.now(UTC) + timedelta(hours=4)
    )
    for server_id in names:
        turn_bad(sandbox, server_id)
    round_again()
    told = sorted(m.subject.split(")")[0] + ")" for m in mail.outbox)
    assert told == sorted(f"backupsui: {names[i]} (#{i})" for i in (recovering, reminded))
    assert all(" bad" in m.subject for m in mail.outbox)
    sandbox.state.add_backup(recovering)
    SentAlert.objects.filter(kind=SentAlert.BAD, key__startswith=f"{reminded}:").update(
        created_at=datetime.now(UTC) - timedelta(hours=25)
    )
    sink = MailSink()
    # Each round reads the list afresh, as rounds BACKUPSUI_WATCH_MINUTES apart do.
    workers = Workers(sandbox.url, BACKUPS_CACHE_SECONDS="0", **sink.env())
    real = sandbox.state.list_page

    def two_rounds_at_once(slot: str) -> list:
        gate = Gate(real)
        monkeypatch.setattr(sandbox.state, "list_page", gate)
        with transaction.atomic():
            ids = [alerts_round.enqueue(slot).id for _ in range(2)]
        wait_for(
            lambda: DBTaskResult.objects.filter(id__in=ids, finished_at__isnull=False).count() == 2
        )
        results = list(DBTaskResult.objects.filter(id__in=ids))
        assert [r.status for r in results] == ["SUCCESSFUL"] * 2, [r.traceback for r in results]
        assert gate.both.is_set()  # both rounds were in the list at the same time
        assert len({r.worker_ids[0] for r in results}) == 2  # one round in each worker
        return list(sink.messages)

    try:
        workers.start(queue="alerts")
        workers.start(queue="alerts")
        first = two_rounds_at_once("2026-01-01T00:00:00+00:00")
        assert len(first) == 2, [m["Subject"] for m in first]
        [recovered] = [m for m in first if "has recovered" in m["Subject"]]
        assert f"{names[recovering]} (#{recovering})" in recovered["Subject"]
        [reminder] = [m for m in first if "Still bad" in m["Subject"]]
        assert f"{names[reminded]} (#{reminded})" in reminder["Subject"]
        assert all(names[muted] not in m.get_body().get_content() for m in first)
        ServerState.objects.filter(server_id=muted).update(muted_until=None)
        second = two_rounds_at_once("2026-01-01T00:10:00+00:00")[len(first) :]
        [unmuted] = second
        assert unmuted["Subject"].startswith(f"backupsui: {names[muted]} (#{muted})")
        assert " bad" in unmuted["Subject"]
    finally:
        workers.stop()
        sink.stop()
    assert SentAlert.objects.filter(kind=SentAlert.RECOVERED).count() == 1
    assert SentAlert.objects.filter(kind=SentAlert.REMINDER).count() == 1


def test_it_keeps_one_persons_slow_receivers_from_delaying_anothers_alert(
    operator, support, settings
):
    """Olivia's three Apprise URLs go to a receiver answering one byte a second; Sam's test
    alert, queued just after hers on the one alerts worker (`manage.py worker`, as
    deployed), reaches Sam within the deadline: Olivia's three are sent side by side and
    cut off together at BACKUPSUI_ALERT_TIMEOUT, not one after another."""
    deadline = 3
    slow, fast = Dripper(every=1.0), Receiver()
    for name in ("one", "two", "three"):
        url = f"json://127.0.0.1:{slow.port}/{name}"
        AppriseUrl.objects.create(user=operator, name=name, ciphertext=encrypt(url), masked="")
    url = f"json://127.0.0.1:{fast.server_address[1]}/sam"
    AppriseUrl.objects.create(user=support, name="sam", ciphertext=encrypt(url), masked="")
    workers = Workers(
        "http://127.0.0.1:9/api/v1",  # no list is read
        DJANGO_DEBUG="1",  # receivers on loopback
        BACKUPSUI_ALERT_TIMEOUT=str(deadline),
        BACKUPSUI_APPRISE_SCHEMES="json",
    )
    try:
        workers.start(queue="alerts")
        send_test_alert_task.enqueue(support.pk)  # the worker, ready and sending
        wait_for(lambda: fast.got, seconds=60)
        fast.got.clear()
        with transaction.atomic():
            send_test_alert_task.enqueue(operator.pk)
            send_test_alert_task.enqueue(support.pk)
        queued = time.monotonic()
        wait_for(lambda: fast.got, seconds=60)
        waited = time.monotonic() - queued
    finally:
        workers.stop()
        slow.stop()
        fast.shutdown()
        fast.server_close()
    assert slow.connections == 3
    assert waited <= deadline + 1.5, waited  # one after another, it was 3 deadlines
    [olivia] = Delivery.objects.filter(user=operator, name="one")
    assert not olivia.ok and olivia.outcome_text == "Not delivered to one."


def test_it_tells_of_a_server_bad_already_when_someone_subscribes_once(sandbox, operator):
    """A server bad before its first look is news all the same: one alert, then reminders as
    for any other; failures already there at that look stay history."""
    operator.email = "olivia@example.com"
    operator.save()
    turn_bad(sandbox)
    Subscription.objects.create(user=operator, on_failure=True, on_bad=True, by_email=True)
    run_round()  # the first look
    [bad] = mail.outbox
    assert "db-server-02" in bad.body and "is bad" in bad.body
    assert "failed." not in bad.body  # the failures it found are the starting point
    round_again()
    assert len(mail.outbox) == 1
    assert SentAlert.objects.filter(kind=SentAlert.BAD, sent=True).count() == 1
