"""What the periodic round (the real worker, `db_worker --batch`) says about a server that
turns bad: one alert naming the server and its newest backup, one "recovered" when it has a
completed backup again, a reminder every BACKUPSUI_ALERT_REMIND_HOURS while it stays bad, and
nothing while it is muted (a mute shown on /servers/ and audited). A round run again, as a
second worker would, sends nothing twice."""

from datetime import UTC, datetime, timedelta
from threading import Barrier, Thread

import pytest
from django.core import mail
from django.db import connection

from backupsui.alerts.models import Delivery, SentAlert, Subscription
from backupsui.alerts.watch import send_test_alert, watch_everyone
from backupsui.audit.models import AuditEvent
from backupsui.backups.lists import memory
from tests.alerts.test_watch import run_round
from tests.helpers import text

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


def turn_bad(sandbox):
    now = datetime.now(UTC)
    for backup in sandbox.state.backups.values():
        if backup.server.id == BAD_SERVER and backup.created_at > now - timedelta(hours=49):
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
    shown = page.split("The last ten deliveries")[1]
    assert shown.count("delivered") == 10 and "failed 3 times" not in shown
    assert "failed 3 times" in page.split("The last ten deliveries")[0]  # each way's last failure


def test_it_sends_each_notice_once_when_two_workers_look_at_the_same_moment(watching, sandbox):
    """Two rounds at once (two workers whose schedules both came due): the bad alert, then
    the recovered notice, each go out once."""

    def two_at_once():
        memory.clear()
        start = Barrier(2)

        def look():
            start.wait()
            try:
                watch_everyone()
            finally:
                connection.close()

        workers = [Thread(target=look) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)

    turn_bad(sandbox)
    two_at_once()
    assert len(mail.outbox) == 1
    sandbox.state.add_backup(BAD_SERVER)
    two_at_once()
    assert len(mail.outbox) == 2 and "has recovered" in mail.outbox[1].body
