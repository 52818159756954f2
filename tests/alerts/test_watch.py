"""Failure alerts: a backup turning failed in the sandbox gives one email and one signed
webhook POST (to a receiver on loopback, whose signature is checked here), the next round
sends nothing new, five at once go as one digest, and a receiver that is down gets its three
tries, logged. The rounds run in the real worker (`worker --batch`, in this process, so
Django's test outbox sees the email)."""

import hashlib
import hmac
import html
import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import translation

from backupsui.accounts.crypto import encrypt
from backupsui.accounts.models import Preference
from backupsui.alerts import webhook
from backupsui.alerts.models import AppriseUrl, SentAlert, Subscription
from backupsui.backups.models import ServerState
from backupsui.bidi import NAME_MAX
from backupsui.jobs import scheduler
from backupsui.jobs.models import Schedule
from tests.faults import closed_port
from tests.helpers import text

pytestmark = pytest.mark.django_db(transaction=True)


class Receiver(ThreadingHTTPServer):
    """A webhook receiver on loopback that keeps what it got."""

    daemon_threads = True

    def __init__(self):
        self.got: list[tuple[dict, bytes]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(handler):  # noqa: N805 - the handler's own self is the server's
                body = handler.rfile.read(int(handler.headers["Content-Length"]))
                self.got.append((dict(handler.headers), body))
                handler.send_response(204)
                handler.end_headers()

            def log_message(handler, *args):  # noqa: N805
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def subscribed(sandbox, operator, operator_client, settings, receiver):
    """Olivia asks for failure alerts by email and webhook (http on loopback: debug only)."""
    settings.DEBUG = True
    operator.email = "olivia@example.com"
    operator.save()
    page = operator_client.post(
        "/account/alerts/",
        {"on_failure": "on", "by_email": "on", "webhook_url": receiver.url},
    )
    assert page.status_code == 200 and "Copy it now" in text(page)
    secret = text(page).split('<code class="copy">')[1].split("</code>")[0]
    return secret


def run_worker():
    """The workers of every queue, until nothing is waiting."""
    call_command("worker", "--batch", "--no-reload", "--no-startup-delay", "--queue-name", "*")


def run_round():
    """One periodic round, made due now, queued by the scheduler and run by the worker."""
    scheduler.run_due()  # the first pass makes the schedule
    Schedule.objects.update(due_at=datetime.now(UTC) - timedelta(seconds=1))
    assert {name for name, _ in scheduler.run_due()} >= {"alerts", "housekeeping"}
    run_worker()


def failing(sandbox, count=1):
    fresh = [
        b
        for b in sandbox.state.backups.values()
        if b.server.account == "acme" and b.created_at > datetime.now(UTC) - timedelta(days=5)
    ]
    for backup in fresh[:count]:
        sandbox.state.fail_backup(backup.id)
    return fresh[:count]


def test_it_alerts_once_by_email_and_signed_webhook(subscribed, sandbox, receiver, settings):
    run_round()  # the first look: what is already so is the starting point
    assert mail.outbox == [] and receiver.got == []
    [broken] = failing(sandbox)
    from backupsui.backups.lists import memory

    memory.clear()
    run_round()
    [email] = mail.outbox
    assert email.to == ["olivia@example.com"] and f"Backup {broken.id}" in email.body
    [(headers, body)] = receiver.got
    timestamp = headers["X-Backupsui-Timestamp"]
    expected = hmac.new(subscribed.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    assert headers["X-Backupsui-Signature"] == "sha256=" + expected.hexdigest()
    assert abs(int(timestamp) - datetime.now(UTC).timestamp()) < 60
    sent = json.loads(body)
    assert sent["type"] == "backup_failed"
    assert sent["alerts"][0]["backup_id"] == broken.id
    memory.clear()
    run_round()  # nothing new
    assert len(mail.outbox) == 1 and len(receiver.got) == 1
    assert SentAlert.objects.filter(key=str(broken.id)).count() == 1


def test_it_writes_out_bidirectional_controls_and_cuts_long_names_in_alerts(
    subscribed, sandbox, operator, receiver, settings
):
    """A server named with a right-to-left override and 3,000 characters: the email, the
    webhook's body and the Apprise message show the override as [U+202E], and the name cut
    to bidi.NAME_MAX characters."""
    settings.BACKUPSUI_APPRISE_SCHEMES = ["json"]
    chat = Receiver()
    url = f"json://127.0.0.1:{chat.server_address[1]}/chat"
    AppriseUrl.objects.create(user=operator, name="chat", ciphertext=encrypt(url), masked="")
    run_round()
    for server in sandbox.state.servers.values():
        server.name = "db\u202e" + "x" * 3000
    failing(sandbox)
    from backupsui.backups.lists import memory

    memory.clear()
    try:
        run_round()
    finally:
        chat.shutdown()
        chat.server_close()
    [email] = mail.outbox
    [(_headers, body)] = receiver.got
    [(_headers, message)] = chat.got
    sent = [email.subject, email.body, body.decode(), message.decode()]
    cut = "db[U+202E]" + "x" * (NAME_MAX - 4) + "…"  # 200 characters, then written out
    assert cut in email.body and cut in json.loads(body)["alerts"][0]["server"]
    assert cut in json.loads(message)["message"]
    for text_sent in sent:
        assert "\u202e" not in text_sent and "\\u202e" not in text_sent
        assert "x" * NAME_MAX not in text_sent


def test_it_sends_five_or_more_at_once_as_one_digest(subscribed, sandbox, receiver):
    run_round()
    failing(sandbox, 6)
    from backupsui.backups.lists import memory

    memory.clear()
    run_round()
    [email] = mail.outbox
    assert "backup problems: 6" in email.subject and email.body.count("failed.") == 6
    [(headers, body)] = receiver.got
    assert json.loads(body)["type"] == "digest"


def test_it_tries_a_dead_receiver_three_times_and_logs_it(
    subscribed, sandbox, operator, caplog, monkeypatch
):
    """The three tries, and what went wrong, are in the server's log; the kept outcome
    says only that it was not delivered (what answered is no one else's business)."""
    monkeypatch.setattr(webhook, "BACKOFF_SECONDS", 0)
    Subscription.objects.filter(user=operator).update(
        webhook_url=f"http://127.0.0.1:{closed_port()}/hook", by_email=False
    )
    run_round()
    failing(sandbox)
    from backupsui.backups.lists import memory

    memory.clear()
    caplog.set_level(logging.INFO, logger="backupsui.alerts")
    run_round()
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith("{")]
    assert logged[-1]["detail"] == "NewConnectionError after 3 tries"  # refused, 3 times
    assert logged[-1]["outcome"] == "Not delivered to the webhook."
    said = Subscription.objects.get(user=operator).last_delivery_text
    assert said == "Not delivered to the webhook."


def test_it_sends_a_test_alert_from_the_button(subscribed, operator_client, receiver):
    operator_client.post("/account/alerts/", {"test": "1"})
    run_worker()
    assert len(mail.outbox) == 1 and "test alert" in mail.outbox[0].subject
    assert json.loads(receiver.got[0][1])["type"] == "test"
    assert "Emailed." in text(operator_client.get("/account/alerts/"))


def test_it_takes_only_public_https_webhooks_outside_debug(operator_client, settings):
    settings.DEBUG = False
    for url, says in [
        ("http://example.com/hook", "https://"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://10.1.2.3/hook", "private network"),
    ]:
        response = operator_client.post(
            "/account/alerts/", {"on_failure": "on", "webhook_url": url}
        )
        assert response.status_code == 400 and says in text(response), url


def test_it_keeps_an_earlier_failure_beside_a_later_success(
    subscribed, sandbox, operator, receiver, monkeypatch
):
    """Two alerts in one round: the first finds the receiver failing, the second gets
    through; the alerts page must still say the first did not arrive."""
    from backupsui.alerts.watch import watch
    from backupsui.backups.lists import memory

    monkeypatch.setattr(webhook, "BACKOFF_SECONDS", 0)
    Subscription.objects.filter(user=operator).update(by_email=False)
    subscription = Subscription.objects.select_related("user").get(user=operator)
    watch(subscription)  # the first look
    failing(sandbox, 2)
    memory.clear()
    answers = iter([500] * webhook.TRIES)
    original = receiver.RequestHandlerClass.do_POST

    def flaky(handler):
        status = next(answers, None)
        if status is None:
            return original(handler)
        handler.rfile.read(int(handler.headers["Content-Length"]))
        handler.send_response(status)
        handler.end_headers()

    monkeypatch.setattr(receiver.RequestHandlerClass, "do_POST", flaky)
    subscription.refresh_from_db()
    assert watch(subscription) == 2
    said = Subscription.objects.get(user=operator).last_delivery_text
    assert said == "Not delivered to the webhook. Delivered to the webhook."
    assert len(receiver.got) == 1


def test_it_links_the_server_and_names_its_newest_completed_backup(
    subscribed, sandbox, receiver, settings
):
    settings.BACKUPSUI_PANEL_URL = "https://backups.example.com"
    run_round()
    [broken] = failing(sandbox)
    from backupsui.backups.lists import memory

    memory.clear()
    run_round()
    link = f"https://backups.example.com/servers/{broken.server.id}/"
    newest = max(
        b.created_at
        for b in sandbox.state.backups.values()
        if b.server.id == broken.server.id and b.status(datetime.now(UTC)) == "completed"
    )
    [email] = mail.outbox
    assert f"The server in the panel: {link}" in email.body
    assert f"Newest completed backup of the server: {newest:%Y-%m-%d %H:%M} UTC." in email.body
    [(_headers, body)] = receiver.got
    [item] = json.loads(body)["alerts"]
    assert item["server_url"] == link
    assert item["newest_completed_at"] == newest.isoformat()


@pytest.fixture
def odd_watcher(sandbox, operator, operator_client, settings, receiver):
    """Olivia asks, on the alerts page, to be told of odd backups by email and webhook; the
    servers' recent backups are known sizes, then the first round looks."""
    settings.DEBUG = True
    operator.email = "olivia@example.com"
    operator.save()
    page = html.unescape(text(operator_client.get("/account/alerts/")))
    assert "Tell me when a backup's size is odd" in page
    operator_client.post(
        "/account/alerts/", {"on_odd": "on", "by_email": "on", "webhook_url": receiver.url}
    )
    subscription = Subscription.objects.get(user=operator)
    assert subscription.on_odd and not subscription.on_failure and subscription.active
    start = datetime.now(UTC) - timedelta(hours=3)
    for backup in list(sandbox.state.backups.values()):  # the sandbox's nightly at 03:00 UTC
        if backup.server.id in (12345, 12346) and backup.created_at >= start:
            sandbox.state.delete_backup(backup.server.account, backup.id)
    for n in range(10):  # the usual: a median of 8650 MB
        sandbox.state.add_backup(
            12345, created_at=start + timedelta(minutes=n), size_mb=(8600, 8700)[n % 2]
        )
    for n in range(5):  # five of exactly the same size
        sandbox.state.add_backup(12346, created_at=start + timedelta(minutes=n), size_mb=8400)
    run_round()  # the first look: odd sizes already there are not news
    assert mail.outbox == [] and receiver.got == []
    return operator


def test_it_alerts_once_per_odd_backup_saying_by_how_much(odd_watcher, sandbox, receiver):
    from backupsui.backups.lists import memory

    taken = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    small = sandbox.state.add_backup(12345, created_at=taken, size_mb=3287)
    memory.clear()
    run_round()
    [email] = mail.outbox
    said = (
        f"Backup {small.id} of web-server-01 (#12345), taken {taken:%Y-%m-%d %H:%M} UTC, has an "
        "odd size: 62 % smaller than usual: 3287 MB against 8650 MB."
    )
    assert email.subject == f"backupsui: {said}" and said in email.body
    assert "The server in the panel: /servers/12345/" in email.body
    [(_headers, body)] = receiver.got
    sent = json.loads(body)
    assert sent["type"] == "backup_odd"
    [item] = sent["alerts"]
    assert (item["backup_id"], item["size_mb"], item["usual_mb"]) == (small.id, 3287, 8650)
    memory.clear()
    run_round()  # never again for the same backup
    assert len(mail.outbox) == 1 and len(receiver.got) == 1
    assert SentAlert.objects.filter(kind=SentAlert.ODD, key=str(small.id)).count() == 1


def test_it_says_a_stuck_dump_in_the_persons_language(odd_watcher, sandbox, receiver):
    from backupsui.backups.lists import memory

    Preference.objects.create(user=odd_watcher, language="sm")
    stuck = sandbox.state.add_backup(12346, size_mb=8400)  # the sixth of exactly 8400 MB
    memory.clear()
    run_round()
    [email] = mail.outbox
    english = "exactly the same size as the five before it: a stuck dump?"
    with translation.override("sm"):
        samoan = translation.gettext(english)
    assert samoan != english and samoan in email.body and english not in email.body
    assert f"O le faʻaleoleo {stuck.id} o db-server-02 (#12346), na faia i le " in email.body
    assert f"{stuck.id}" in email.subject and "db-server-02 (#12346)" in email.subject


def test_it_sends_nothing_about_an_odd_backup_of_a_muted_server(odd_watcher, sandbox, receiver):
    from backupsui.backups.lists import memory

    ServerState.objects.filter(server_id=12345).update(
        muted_until=datetime.now(UTC) + timedelta(hours=2)
    )
    sandbox.state.add_backup(12345, size_mb=20000)  # more than twice the usual
    memory.clear()
    run_round()
    assert mail.outbox == [] and receiver.got == []
