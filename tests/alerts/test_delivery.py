"""Sending an alert: all its ways bounded together by BACKUPSUI_ALERT_TIMEOUT (a receiver that
answers one header byte every 3 s cannot hold a worker), the webhook's address checks, and
Apprise URLs: encrypted at rest, shown masked, only the allowed services, delivered through
Apprise's own json:// plugin to a receiver on loopback (development: DJANGO_DEBUG allows
loopback), and rotated with the other secrets. What answered is logged, never kept."""

import io
import ipaddress
import json
import logging
import multiprocessing
import socket
import threading
import time

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from backupsui import outbound
from backupsui.accounts.crypto import encrypt
from backupsui.alerts import sender, webhook
from backupsui.alerts.delivery import Alert, deliver
from backupsui.alerts.models import AppriseUrl, Delivery, Subscription, Tally
from backupsui.words import Sentence
from tests.alerts.test_watch import Receiver, run_worker
from tests.helpers import text
from tests.stack import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


class Dripper:
    """A receiver on loopback that reads the request, then answers one header byte every
    `every` seconds, for as long as anyone listens."""

    def __init__(self, every: float = 3.0):
        self.every = every
        self.sent = 0
        self.connections = 0
        self.cut = threading.Event()  # the sender went away mid-answer
        self.stopping = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def port(self) -> int:
        return self.listener.getsockname()[1]

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _address = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn) -> None:
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 204 No Content\r\nX-Slow: " + b"a" * 1000:
                if self.stopping.wait(self.every):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    self.cut.set()
                    return
                self.sent += 1

    def stop(self) -> None:
        self.stopping.set()
        self.listener.close()


@pytest.fixture(autouse=True)
def _sending_server():
    """The sending server up, as in a worker after its first alert (starting it, once per
    process, is not part of any alert's time)."""
    sender.ready()


@pytest.fixture
def dripper():
    server = Dripper()
    yield server
    server.stop()


def an_alert() -> Alert:
    line = Sentence("Backup 7 of web-01 (#12345) failed.")
    return Alert("backup_failed", Sentence("backupsui: a failure"), [line], [{"event": "x"}])


def test_it_ends_a_slowly_answered_webhook_at_the_alert_timeout(
    operator, settings, dripper, caplog
):
    settings.DEBUG = True  # http on loopback
    settings.BACKUPSUI_ALERT_TIMEOUT = 4
    subscription = Subscription.objects.create(
        user=operator, webhook_url=f"http://127.0.0.1:{dripper.port}/hook", webhook_secret=""
    )
    caplog.set_level(logging.INFO, logger="backupsui.alerts")
    started = time.monotonic()
    said = deliver(subscription, an_alert())
    took = time.monotonic() - started
    assert took <= settings.BACKUPSUI_ALERT_TIMEOUT + 1, took
    assert dripper.sent >= 1  # the answer had begun: only the whole-delivery bound ended it
    assert str(said) == "Not delivered to the webhook."  # not how, nor what answered
    [kept] = Delivery.objects.filter(user=operator)
    assert kept.channel == Delivery.WEBHOOK and not kept.ok
    assert kept.outcome_text == "Not delivered to the webhook."
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith("{")]
    assert logged[-1]["ok"] is False and logged[-1]["channel"] == "webhook"
    assert logged[-1]["detail"] == "timed out"  # the detail: in the server's log only
    assert Tally.objects.get(name=Tally.ALERTS_FAILED).value == 1


def test_it_ends_a_slowly_answering_mail_server_at_the_alert_timeout(operator, settings, dripper):
    """The SMTP server's greeting comes a byte every 3 s: the email ends at the timeout."""
    settings.BACKUPSUI_ALERT_TIMEOUT = 4
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": dripper.port, "timeout": 15},
        }
    }
    operator.email = "olivia@example.com"
    operator.save()
    subscription = Subscription.objects.create(user=operator, by_email=True)
    started = time.monotonic()
    said = deliver(subscription, an_alert())
    assert time.monotonic() - started <= settings.BACKUPSUI_ALERT_TIMEOUT + 1
    assert "could not be sent" in str(said)
    assert not Delivery.objects.get(user=operator, channel=Delivery.EMAIL).ok


def senders() -> list:
    return [p for p in multiprocessing.active_children() if p.name == "alert-sender"]


def test_it_ends_a_slow_apprise_sending_and_its_process_at_the_alert_timeout(operator, settings):
    """The answer's header a byte a second never lets Apprise's read timeout (the time left)
    fire: at the deadline the sending counts as failed, and the process sending it is ended
    then (its connection with it), not whenever the service finishes."""
    settings.DEBUG = True  # a receiver on loopback
    settings.BACKUPSUI_ALERT_TIMEOUT = 2
    settings.BACKUPSUI_APPRISE_SCHEMES = ["json"]
    slow = Dripper(every=1.0)
    url = f"json://127.0.0.1:{slow.port}/hook"
    AppriseUrl.objects.create(user=operator, name="slow", ciphertext=encrypt(url), masked="…")
    subscription = Subscription.objects.create(user=operator, by_email=False)
    try:
        started = time.monotonic()
        said = deliver(subscription, an_alert())
        assert time.monotonic() - started <= settings.BACKUPSUI_ALERT_TIMEOUT + 1
        assert str(said) == "Not delivered to slow."
        assert slow.sent >= 1  # the answer had begun
        assert senders() == []  # the sending process is gone
        wait_for(slow.cut.is_set, seconds=2)  # and its connection went with it
    finally:
        slow.stop()


def test_it_sends_every_way_of_an_alert_side_by_side_within_one_deadline(
    operator, settings, receiver
):
    """Three Apprise URLs at a receiver answering a byte a second, and a webhook that
    answers at once: the webhook is delivered, the three are cut off together at the one
    deadline (not one after another, each with its own)."""
    settings.DEBUG = True  # receivers on loopback
    settings.BACKUPSUI_ALERT_TIMEOUT = 2
    settings.BACKUPSUI_APPRISE_SCHEMES = ["json"]
    slow = Dripper(every=1.0)
    for name in ("one", "two", "three"):
        url = f"json://127.0.0.1:{slow.port}/{name}"
        AppriseUrl.objects.create(user=operator, name=name, ciphertext=encrypt(url), masked="")
    subscription = Subscription.objects.create(
        user=operator, webhook_url=receiver.url, webhook_secret=encrypt("s3cret")
    )
    try:
        started = time.monotonic()
        said = str(deliver(subscription, an_alert()))
        took = time.monotonic() - started
    finally:
        slow.stop()
    assert took <= settings.BACKUPSUI_ALERT_TIMEOUT + 1, took
    assert slow.connections == 3  # all three were under way at once
    assert said == (  # the Apprise URLs by name
        "Delivered to the webhook. Not delivered to one. Not delivered to three. "
        "Not delivered to two."
    )
    assert len(receiver.got) == 1


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:0:808:808",
        "::ffff:0:7f00:1",
        "224.0.1.1",
        "239.1.2.3",
        "ff0e::1",
        "::ffff:224.0.1.1",
    ],
)
def test_it_refuses_ipv4_translated_and_multicast_addresses(address):
    assert not outbound.public(ipaddress.ip_address(address))


def test_it_still_takes_a_public_address():
    assert outbound.public(ipaddress.ip_address("8.8.8.8"))
    assert outbound.public(ipaddress.ip_address("2001:4860:4860::8888"))


def test_it_refuses_webhook_urls_with_a_user_or_password(operator_client, settings):
    settings.DEBUG = False
    for url, says in [
        ("https://[::ffff:0:808:808]/hook", "is not public"),
        ("https://224.0.1.1/hook", "multicast"),
        ("https://olivia:hunter2@198.51.100.7/hook", "user name and password"),
        ("https://olivia@198.51.100.7/hook", "user name and password"),
    ]:
        answer = operator_client.post("/account/alerts/", {"on_failure": "on", "webhook_url": url})
        assert answer.status_code == 400 and says in text(answer), url
        assert "hunter2" not in text(answer).replace(url, "")


def test_it_never_sends_a_urls_user_in_the_host_header():
    parts = webhook.urlsplit("https://olivia:hunter2@hooks.example.com:8443/x")
    assert webhook.host_header(parts) == "hooks.example.com:8443"
    assert webhook.host_header(webhook.urlsplit("http://[2001:db8::1]/x")) == "[2001:db8::1]"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.shutdown()
    server.server_close()


def test_it_sends_through_apprise_and_keeps_the_url_encrypted(
    operator, operator_client, settings, receiver, caplog
):
    caplog.set_level(logging.DEBUG)
    settings.DEBUG = True  # a receiver on loopback
    settings.BACKUPSUI_APPRISE_SCHEMES = ["json", "slack"]
    port = receiver.server_address[1]
    url = f"json://olivia:s3cret-word@127.0.0.1:{port}/hook"
    added = operator_client.post("/account/alerts/apprise/", {"name": "Ops room", "url": url})
    assert added.status_code == 302
    page = text(operator_client.get("/account/alerts/"))
    assert "Ops room" in page and "s3cret-word" not in page and "olivia:****@" in page
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM alerts_appriseurl")
        stored = repr(cursor.fetchall())
    assert "s3cret-word" not in stored and url not in stored
    channel = AppriseUrl.objects.get(user=operator)
    assert channel.url() == url
    assert Subscription.objects.get(user=operator).active  # failures go there from now on
    operator_client.post(f"/account/alerts/apprise/{channel.pk}/test/")
    run_worker()
    [(headers, body)] = receiver.got
    sent = json.loads(body)
    assert sent["title"] == "backupsui: a test alert" and "test alert" in sent["message"]
    assert headers["Authorization"].startswith("Basic ")
    page = text(operator_client.get("/account/alerts/"))
    assert "Apprise: Ops room" in page and "Delivered to Ops room." in page
    assert "s3cret-word" not in caplog.text  # nor in any log line, Apprise's own included


def test_it_refuses_an_apprise_service_the_operator_did_not_allow(operator_client, settings):
    answer = operator_client.post(
        "/account/alerts/apprise/", {"name": "raw", "url": "json://127.0.0.1:9/hook"}
    )
    assert answer.status_code == 400
    assert "Alerts cannot go to json:// URLs here" in text(answer)
    assert not AppriseUrl.objects.exists()


def test_it_rotates_apprise_urls_with_the_tokens(operator, operator_client, settings):
    settings.DEBUG = True  # an address on loopback
    settings.BACKUPSUI_APPRISE_SCHEMES = ["json"]
    url = "json://olivia:s3cret-word@127.0.0.1:9/hook"
    operator_client.post("/account/alerts/apprise/", {"name": "Ops", "url": url})
    old = settings.BACKUPSUI_TOKEN_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.BACKUPSUI_TOKEN_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_token_keys", stdout=out)
    assert "alerts.AppriseUrl.ciphertext: 1" in out.getvalue()
    settings.BACKUPSUI_TOKEN_KEYS = [new]
    assert AppriseUrl.objects.get(user=operator).url() == url


def test_it_refuses_an_alert_kind_its_delivery_rows_cannot_keep():
    from backupsui.alerts.delivery import Alert

    with pytest.raises(ValueError, match="at most 16 characters"):
        Alert(kind="plan_needs_attention", subject=Sentence("x"), lines=[], items=[])
