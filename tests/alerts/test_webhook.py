"""The webhook under the outbound rule: a site-local address (fec0::/10, which Python calls
global) and a port outside BACKUPSUI_OUTBOUND_PORTS are refused when it is saved, and a name
that resolved publicly then but resolves to loopback when the alert goes is connected to
never; a POST goes to the address that was checked. A failed delivery is kept as "not
delivered", never with what answered (a status, an error: the server's log has those)."""

import html
import json
import logging
import socket
from http.server import BaseHTTPRequestHandler

import pytest

from backupsui import outbound
from backupsui.accounts.crypto import encrypt
from backupsui.alerts import webhook
from backupsui.alerts.deadline import Deadline
from backupsui.alerts.delivery import Alert, deliver
from backupsui.alerts.models import AppriseUrl, Delivery, Subscription
from backupsui.outbound import Rule, Table
from backupsui.words import Sentence
from tests.alerts.test_watch import Receiver
from tests.helpers import text
from tests.resolving import Listener

pytestmark = pytest.mark.django_db(transaction=True)


def an_alert() -> Alert:
    line = Sentence.verbatim("Backup 7 of web-01 (#12345) failed.")
    return Alert("backup_failed", Sentence.verbatim("backupsui: a failure"), [line], [{}])


@pytest.fixture
def production(settings, monkeypatch):
    settings.DEBUG = False
    settings.BACKUPSUI_OUTBOUND_PORTS = frozenset({443})
    monkeypatch.setattr(outbound, "resolver", Table({"hooks.example": ["93.184.216.34"]}))
    return settings


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("https://[fec0::1]/hook", "site-local"),
        ("https://[fec0:0:0:ffff::1]:443/hook", "site-local"),
        ("https://hooks.example:22/hook", "Port 22 is not allowed: alerts go to port 443 only."),
        ("https://hooks.example:6379/hook", "Port 6379 is not allowed"),
        ("https://hooks.example:5432/hook", "Port 5432 is not allowed"),
        ("https://[::ffff:127.0.0.1]/hook", "IPv4 address inside it that is not public"),
        ("https://169.254.169.254/latest", "link-local"),
    ],
)
def test_it_refuses_a_webhook_the_rule_refuses_saying_why(operator_client, production, url, says):
    answer = operator_client.post("/account/alerts/", {"on_failure": "on", "webhook_url": url})
    assert answer.status_code == 400
    assert says in html.unescape(text(answer))
    assert not Subscription.objects.filter(webhook_url=url).exists()


def test_it_takes_a_public_webhook_on_an_allowed_port(operator_client, production):
    production.BACKUPSUI_OUTBOUND_PORTS = frozenset({443, 8443})
    for url in ("https://hooks.example/hook", "https://hooks.example:8443/hook"):
        answer = operator_client.post("/account/alerts/", {"on_failure": "on", "webhook_url": url})
        assert answer.status_code == 200, url  # the secret, shown once


def test_it_connects_nowhere_when_a_saved_webhook_later_resolves_to_loopback(
    operator, operator_client, production, monkeypatch
):
    listener = Listener()
    try:
        production.BACKUPSUI_OUTBOUND_PORTS = frozenset({listener.port})
        url = f"https://hooks.example:{listener.port}/hook"
        saved = operator_client.post("/account/alerts/", {"on_failure": "on", "webhook_url": url})
        assert saved.status_code == 200
        monkeypatch.setattr(outbound, "resolver", Table({"hooks.example": ["127.0.0.1"]}))
        said = str(deliver(Subscription.objects.get(user=operator), an_alert()))
        assert listener.connections == 0
    finally:
        listener.stop()
    assert said.startswith("Not delivered to the webhook.") and "loopback" in said


def test_it_posts_to_the_address_it_checked(monkeypatch):
    """A name that resolves to a public address, then to loopback (DNS rebinding): the POST
    goes to the first, checked one, with the name for TLS."""
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])

    def resolve(host, port, *args):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    made = []

    class Connection:
        def __init__(self, host, port, **options):
            made.append((host, options.get("server_hostname")))
            raise OSError("no network in tests")

    monkeypatch.setattr(webhook.urllib3.connection, "HTTPSConnection", Connection)
    rule = Rule(ports=frozenset({443}), resolver=resolve)
    with pytest.raises(OSError):
        webhook.post("https://hook.example.test/x", b"{}", {}, Deadline(5), rule)
    assert made == [("93.184.216.34", "hook.example.test")]


class Failing(Receiver):
    """A receiver answering 500 to everything."""

    def __init__(self):
        super().__init__()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(handler):  # noqa: N805
                handler.rfile.read(int(handler.headers["Content-Length"]))
                handler.send_response(500)
                handler.end_headers()

            def log_message(handler, *args):  # noqa: N805
                pass

        self.RequestHandlerClass = Handler


def test_it_keeps_not_delivered_and_the_time_never_what_answered(
    operator, operator_client, settings, monkeypatch, caplog
):
    """The webhook and an Apprise URL both answer 500: each row says "not delivered" (and
    when), the page names no status nor error; the server's log has the status."""
    settings.DEBUG = True  # receivers on loopback
    settings.BACKUPSUI_APPRISE_SCHEMES = ["json"]
    monkeypatch.setattr(webhook, "BACKOFF_SECONDS", 0)
    failing = Failing()
    try:
        url = f"json://127.0.0.1:{failing.server_address[1]}/chat"
        AppriseUrl.objects.create(user=operator, name="Ops", ciphertext=encrypt(url), masked="")
        subscription = Subscription.objects.create(
            user=operator, webhook_url=failing.url, webhook_secret=encrypt("s3cret")
        )
        caplog.set_level(logging.INFO, logger="backupsui.alerts")
        deliver(subscription, an_alert())
    finally:
        failing.shutdown()
        failing.server_close()
    rows = {row.channel: row for row in Delivery.objects.filter(user=operator)}
    assert rows["webhook"].outcome_text == "Not delivered to the webhook."
    assert rows["apprise"].outcome_text == "Not delivered to Ops."
    assert all(row.sent_at is not None and not row.ok for row in rows.values())
    page = html.unescape(text(operator_client.get("/account/alerts/")))
    assert "Not delivered to the webhook." in page and "Not delivered to Ops." in page
    told = page.split('id="failures-heading"')[1]  # the failures, the deliveries, the last
    for leak in ("500", "HTTP", "Error", "did not take", "answered"):
        assert leak not in told, leak
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith("{")]
    assert "HTTP 500 after 3 tries" in [line["detail"] for line in logged]


def test_it_tries_three_times_backing_off_and_stops_at_the_deadline():
    """The tries' waits (1 s, then 2 s) are asked of the sleep given, on the clock given:
    nothing waits here. A deadline that has passed ends the tries."""
    now = [0.0]
    waits, reported = [], []

    def sleep(seconds):
        waits.append(seconds)
        now[0] += seconds

    def report(*outcome):
        reported.append(outcome)

    failing = Failing()
    rule = Rule(ports=frozenset({443}), private_allowed=True)  # development: loopback
    try:
        way = webhook.WebhookWay(url=failing.url, secret="s3cret", bodies=[b"{}"], plain_http=True)
        webhook.send(way, Deadline(60, clock=lambda: now[0]), rule, report, sleep)
        assert waits == [1.0, 2.0]
        assert reported == [(0, False, Sentence(webhook.NOT_DELIVERED), "HTTP 500 after 3 tries")]
        waits.clear(), reported.clear()
        webhook.send(way, Deadline(1.5, clock=lambda: now[0]), rule, report, sleep)
        assert waits == [1.0, 0.5]  # the second wait cut to what was left; no third try
        assert reported == [(0, False, Sentence(webhook.NOT_DELIVERED), "HTTP 500 after 2 tries")]
    finally:
        failing.shutdown()
        failing.server_close()
