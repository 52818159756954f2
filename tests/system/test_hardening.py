"""What an attack on the panel found, each closed: jobs that outlived their owner's rights,
cancels across accounts, webhooks that could stall a worker or reach inside the network,
secrets left out of a key rotation, and a few inputs that answered 500."""

import ipaddress
import threading
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import responses
from django.core import mail
from django.test import override_settings

from backupsui import outbound
from backupsui.accounts import crypto
from backupsui.alerts import webhook
from backupsui.alerts.delivery import Alert, deliver
from backupsui.alerts.models import Subscription
from backupsui.jobs import runner
from backupsui.jobs.models import Job
from backupsui.outbound import Refused, public
from backupsui.words import Sentence
from tests.helpers import FormClient, completed_backup, text


@pytest.fixture
def job(sandbox, operator):
    backup = completed_backup(sandbox)
    return Job.objects.create(
        user=operator,
        server_id=12345,
        server_name="web-server-01",
        backup_id=backup.id,
        safety_description=runner.safety_description(backup.id, "olivia"),
    )


@pytest.mark.parametrize("change", ["deactivated", "no longer a restorer"])
def test_it_stops_a_job_whose_owner_may_no_longer_restore(sandbox, operator, job, change):
    if change == "deactivated":
        operator.is_active = False
        operator.save()
    else:
        operator.groups.clear()
    runner.advance(job.pk)
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "may no longer restore" in job.detail_text
    assert job.safety_event is None  # nothing was asked of the API


def test_it_lets_only_the_owner_cancel_a_job(job, django_user_model):
    from tests.conftest import OTHER_TOKEN, make_user

    other_operator = make_user(django_user_model, "oscar", "Operators", OTHER_TOKEN)
    client = FormClient()
    client.force_login(other_operator)
    assert client.get(f"/jobs/{job.pk}/").status_code == 200  # operators see every job
    assert client.post(f"/jobs/{job.pk}/cancel/").status_code == 403
    job.refresh_from_db()
    assert job.state == Job.State.QUEUED


# Webhooks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("93.184.216.34", True),
        ("2606:4700::6810:84e5", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("64:ff9b::7f00:1", False),  # NAT64 to 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 to 10.0.0.1
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::ffff:10.0.0.1", False),  # IPv4-mapped
    ],
)
def test_it_sends_webhooks_to_public_addresses_only(address, ok):
    assert public(ipaddress.ip_address(address)) is ok


@pytest.mark.parametrize(
    "url", ["https://example.com:99999/", "https://" + "ü" * 60 + ".com/", "ftp://example.com/"]
)
def test_it_refuses_a_webhook_url_it_cannot_use_without_a_500(operator_client, settings, url):
    settings.DEBUG = False
    with pytest.raises(Refused):
        webhook.address_for(url, outbound.rule())
    response = operator_client.post("/account/alerts/", {"on_failure": "on", "webhook_url": url})
    assert response.status_code == 400


class Endless(ThreadingHTTPServer):
    """A receiver that answers with far more than anyone needs to read."""

    daemon_threads = True

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(handler):  # noqa: N805
                handler.rfile.read(int(handler.headers["Content-Length"]))
                handler.send_response(200)
                handler.send_header("Content-Length", str(200 * 2**20))
                handler.end_headers()
                block = b"x" * 2**16
                try:
                    for _ in range(200 * 16):
                        handler.wfile.write(block)
                except OSError:
                    pass  # the panel stopped reading, as it should

            def log_message(handler, *args):  # noqa: N805
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()


def test_it_reads_little_of_a_webhooks_answer(operator, settings):
    settings.DEBUG = True  # http on loopback
    server = Endless()
    try:
        subscription = Subscription.objects.create(
            user=operator,
            webhook_url=f"http://127.0.0.1:{server.server_address[1]}/",
            webhook_secret=crypto.encrypt("s3cret"),
        )
        tracemalloc.start()
        said = deliver(subscription, Alert("test", Sentence("x"), [], []))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        server.shutdown()
        server.server_close()
    assert str(said) == "Delivered to the webhook."
    assert peak < 4 * 2**20


def test_it_sends_one_test_alert_a_minute(operator_client, operator):
    from django_tasks_db.models import DBTaskResult

    operator.email = "olivia@example.com"
    operator.save()
    operator_client.post("/account/alerts/", {"on_failure": "on", "by_email": "on"})
    for _ in range(5):
        operator_client.post("/account/alerts/", {"test": "1"})
    assert DBTaskResult.objects.filter(task_path__endswith="send_test_alert").count() == 1


def test_it_rotates_webhook_secrets_with_the_tokens(operator, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    subscription = Subscription.objects.create(
        user=operator, webhook_url="https://x.example/", webhook_secret=crypto.encrypt("s3cret")
    )
    new = Fernet.generate_key().decode()
    settings.BACKUPSUI_TOKEN_KEYS = [new, *settings.BACKUPSUI_TOKEN_KEYS]
    call_command("rotate_token_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.BACKUPSUI_TOKEN_KEYS = [new]
    subscription.refresh_from_db()
    assert subscription.secret() == "s3cret"


def test_it_keeps_an_alert_subject_on_one_line(operator):
    operator.email = "olivia@example.com"
    operator.save()
    subscription = Subscription.objects.create(user=operator, by_email=True)
    named = Sentence.verbatim("evil\r\nBcc: victim@example.com")
    said = deliver(subscription, Alert("backup_failed", named, [named], []))
    assert str(said) == "Emailed."
    [email] = mail.outbox
    assert email.subject == "evil Bcc: victim@example.com" and email.bcc == []


# Inputs that answered 500 ------------------------------------------------------------------


@pytest.mark.parametrize("target", ["foo", "%", "x y", "logout"])
def test_it_goes_on_only_to_a_path_of_the_panel(operator_client, target):
    response = operator_client.post("/account/language/", {"language": "sm", "next": target})
    assert response.status_code == 302 and response["Location"] == "/backups/"
    anonymous = FormClient().post("/account/language/", {"language": "en", "next": target})
    assert anonymous.status_code == 302


def test_it_refuses_a_form_in_another_character_set(client):
    for charset in ("utf-7", "latin-1"):
        response = client.post(
            "/accounts/login/",
            "username=a&password=b",
            content_type=f"application/x-www-form-urlencoded; charset={charset}",
        )
        assert response.status_code == 415


@override_settings(BACKUPS_API_URL="http://backups.test/api/v1")
@responses.activate
def test_it_shows_a_list_with_times_no_zone_can_show(operator_client):
    responses.get(
        "http://backups.test/api/v1/backups/",
        json={
            "results": [
                {
                    "id": 1,
                    "server": {"id": 7, "name": "a"},
                    "created_at": "0001-01-01T00:00:00+14:00",
                },
                {
                    "id": 2,
                    "server": {"id": 7, "name": "a"},
                    "created_at": "9999-12-31T23:00:00-10:00",
                },
            ]
        },
    )
    assert operator_client.get("/backups/").status_code == 200
    assert operator_client.get("/servers/").status_code == 200


def test_it_answers_health_checks_by_head_too(client, db):
    assert client.head("/healthz").status_code == 200
    assert client.head("/readyz").status_code == 200


def test_it_stops_checking_tokens_after_many_refusals(sandbox, operator_client, monkeypatch):
    from backupsui.accounts import tokens
    from backupsui.upstream import BackupsClient

    statuses = [
        operator_client.post("/account/token/", {"token": f"wrong-token-{n:04d}"}).status_code
        for n in range(tokens.REFUSED_LIMIT)
    ]
    assert statuses == [400] * tokens.REFUSED_LIMIT
    asked = []
    monkeypatch.setattr(BackupsClient, "list_backups", lambda self, *a: asked.append(1))
    response = operator_client.post("/account/token/", {"token": "one-more-guess-1"})
    assert response.status_code == 429 and asked == []
    assert "Too many tokens" in text(response)
