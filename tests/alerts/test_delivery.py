"""Sending an alert: each way bounded as a whole by BACKUPSUI_ALERT_TIMEOUT (a receiver that
answers one header byte every 3 s cannot hold a worker), the webhook's address checks, and
Apprise URLs: encrypted at rest, shown masked, only the allowed services, delivered through
Apprise's own json:// plugin to a receiver on loopback, and rotated with the other secrets."""

import io
import ipaddress
import json
import logging
import socket
import ssl
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from django.db import connection

from backupsui.accounts.crypto import encrypt
from backupsui.alerts import chat, delivery
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

    def __init__(self, every: float = 3.0, tls: ssl.SSLContext | None = None):
        self.every, self.tls = every, tls
        self.sent = 0
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
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn) -> None:
        if self.tls is not None:  # the handshake at once; then the answer as slowly
            try:
                conn = self.tls.wrap_socket(conn, server_side=True)
            except OSError:
                return
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 204 No Content\r\nX-Slow: " + b"a" * 1000:
                if self.stopping.wait(self.every):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return
                self.sent += 1

    def stop(self) -> None:
        self.stopping.set()
        self.listener.close()


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
    assert "did not answer within 4 seconds" in str(said)
    [kept] = Delivery.objects.filter(user=operator)
    assert kept.channel == Delivery.WEBHOOK and not kept.ok
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.getMessage().startswith("{")]
    assert logged[-1]["ok"] is False and logged[-1]["channel"] == "webhook"
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


def apprise_sending() -> bool:
    return any(t.name == "apprise-send" and t.is_alive() for t in threading.enumerate())


def self_signed(folder) -> ssl.SSLContext:
    """A TLS server's context with a certificate of its own for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


@pytest.mark.parametrize("scheme", ["json", "jsons"])  # plain, and TLS
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # verify=no
def test_it_ends_a_slow_apprise_sending_and_its_thread_at_the_alert_timeout(
    operator, settings, scheme, tmp_path
):
    """The answer's header a byte a second never lets Apprise's read timeout (the time left)
    fire: at the deadline the sending counts as failed, and its thread ends then too, not
    whenever the service finishes."""
    settings.BACKUPSUI_ALERT_TIMEOUT = 2
    settings.BACKUPSUI_APPRISE_SCHEMES = [scheme]
    slow = Dripper(every=1.0, tls=self_signed(tmp_path) if scheme == "jsons" else None)
    url = f"{scheme}://127.0.0.1:{slow.port}/hook?verify=no"
    chat.masked(url)  # Apprise's plugins loaded (a process's first use takes a while)
    AppriseUrl.objects.create(user=operator, name="slow", ciphertext=encrypt(url), masked="…")
    subscription = Subscription.objects.create(user=operator, by_email=False)
    try:
        started = time.monotonic()
        said = deliver(subscription, an_alert())
        assert time.monotonic() - started <= settings.BACKUPSUI_ALERT_TIMEOUT + 1
        assert "did not answer within 2 seconds" in str(said)
        assert slow.sent >= 1  # the answer had begun
        wait_for(lambda: not apprise_sending(), seconds=1)
    finally:
        slow.stop()


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
    assert not delivery.public(ipaddress.ip_address(address))


def test_it_still_takes_a_public_address():
    assert delivery.public(ipaddress.ip_address("8.8.8.8"))
    assert delivery.public(ipaddress.ip_address("2001:4860:4860::8888"))


def test_it_refuses_webhook_urls_with_a_user_or_password(operator_client, settings):
    settings.DEBUG = False
    for url, says in [
        ("https://[::ffff:0:808:808]/hook", "private network"),
        ("https://224.0.1.1/hook", "private network"),
        ("https://olivia:hunter2@198.51.100.7/hook", "user name and password"),
        ("https://olivia@198.51.100.7/hook", "user name and password"),
    ]:
        answer = operator_client.post("/account/alerts/", {"on_failure": "on", "webhook_url": url})
        assert answer.status_code == 400 and says in text(answer), url
        assert "hunter2" not in text(answer).replace(url, "")


def test_it_never_sends_a_urls_user_in_the_host_header():
    parts = delivery.urlsplit("https://olivia:hunter2@hooks.example.com:8443/x")
    assert delivery.host_header(parts) == "hooks.example.com:8443"
    assert delivery.host_header(delivery.urlsplit("http://[2001:db8::1]/x")) == "[2001:db8::1]"


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
    assert "Apprise: Ops room" in page and "Sent." in page
    assert "s3cret-word" not in caplog.text  # nor in any log line, Apprise's own included


def test_it_refuses_an_apprise_service_the_operator_did_not_allow(operator_client, settings):
    answer = operator_client.post(
        "/account/alerts/apprise/", {"name": "raw", "url": "json://127.0.0.1:9/hook"}
    )
    assert answer.status_code == 400
    assert "Alerts cannot go to json:// URLs here" in text(answer)
    assert not AppriseUrl.objects.exists()


def test_it_rotates_apprise_urls_with_the_tokens(operator, operator_client, settings):
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
