"""Who is told what, changed only by someone who confirmed who they are lately, and always on
the audit trail: every route that adds, changes, tests or removes an alert target (the email
switch, the webhook, Apprise URLs) asks to confirm after BACKUPSUI_REAUTH_MINUTES and
changes nothing until then; each change is an audit event with the URL masked and no secret;
at most BACKUPSUI_APPRISE_MAX Apprise URLs a person."""

import html

import pytest
from django_tasks_db.models import DBTaskResult

from backupsui import outbound
from backupsui.accounts.crypto import encrypt
from backupsui.alerts import targets
from backupsui.alerts.models import AppriseUrl, Subscription
from backupsui.audit.actors import Actor
from backupsui.audit.models import AuditEvent
from backupsui.outbound import Table
from tests.accounts.test_second_factors import age_confirmations
from tests.conftest import PASSWORD
from tests.helpers import FormClient, at_once, events, text

pytestmark = pytest.mark.django_db(transaction=True)

NTFY = "ntfys://olivia:s3cret-word@chat.example/alerts"


@pytest.fixture
def olivia(operator, settings, monkeypatch):
    """Olivia signed in with her password, in production settings, her names resolved
    from a table (chat.example and hooks.example are public)."""
    settings.DEBUG = False
    public = ["93.184.216.34"]
    names = Table({"chat.example": public, "hooks.example": public})
    monkeypatch.setattr(outbound, "resolver", names)
    operator.email = "olivia@example.com"
    operator.save()
    client = FormClient()
    assert client.post("/accounts/login/", {"username": "olivia", "password": PASSWORD})
    return client


def a_channel(user, name="Ops") -> AppriseUrl:
    Subscription.objects.get_or_create(user=user)
    return AppriseUrl.objects.create(
        user=user, name=name, ciphertext=encrypt(NTFY), masked="ntfys://olivia:****@chat.…"
    )


def tests_queued() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="send_test_alert").count()


def state(user) -> tuple:
    subscription = Subscription.objects.filter(user=user).first()
    return (
        subscription and (subscription.by_email, subscription.webhook_url),
        sorted(AppriseUrl.objects.filter(user=user).values_list("name", flat=True)),
        tests_queued(),
        AuditEvent.objects.exclude(action__in=["sign_in"]).count(),
    )


CHANGES = {
    "email switch": lambda user: ("/account/alerts/", {"on_failure": "on", "by_email": "on"}),
    "webhook": lambda user: (
        "/account/alerts/",
        {"on_failure": "on", "webhook_url": "https://hooks.example/T0KEN"},
    ),
    "test alert": lambda user: ("/account/alerts/", {"test": "1"}),
    "apprise add": lambda user: ("/account/alerts/apprise/", {"name": "New", "url": NTFY}),
    "apprise test": lambda user: (f"/account/alerts/apprise/{a_channel(user).pk}/test/", {}),
    "apprise remove": lambda user: (f"/account/alerts/apprise/{a_channel(user).pk}/delete/", {}),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_it_asks_to_confirm_every_change_of_an_alert_target_and_changes_nothing(
    change, olivia, operator, settings
):
    Subscription.objects.create(user=operator, by_email=False)
    path, form = CHANGES[change](operator)
    before = state(operator)
    age_confirmations(olivia, settings.BACKUPSUI_REAUTH_MINUTES + 1)
    asked = olivia.post(path, form)
    assert asked.status_code == 302
    assert asked["Location"].startswith("/accounts/reauthenticate/?next=")
    assert state(operator) == before


@pytest.mark.parametrize("change", ["apprise test", "apprise remove"])
def test_it_carries_out_a_confirmed_test_or_removal_once(change, olivia, operator, settings):
    path, form = CHANGES[change](operator)
    age_confirmations(olivia, settings.BACKUPSUI_REAUTH_MINUTES + 1)
    asked = olivia.post(path, form)
    target = asked["Location"].split("next=")[1].replace("%2F", "/")
    done = olivia.post("/accounts/reauthenticate/", {"password": PASSWORD, "next": target})
    assert done.status_code == 302
    if change == "apprise test":
        assert tests_queued() == 1 and len(events("alert_test_sent")) == 1
    else:
        assert not AppriseUrl.objects.exists() and len(events("alert_target_removed")) == 1


def test_it_asks_for_an_apprise_url_again_once_confirmed(olivia, operator, settings):
    """The form holds the URL's secrets: nothing of it is kept while Olivia confirms."""
    age_confirmations(olivia, settings.BACKUPSUI_REAUTH_MINUTES + 1)
    olivia.post("/account/alerts/apprise/", {"name": "New", "url": NTFY})
    assert "s3cret-word" not in str(dict(olivia.session))
    olivia.post("/accounts/reauthenticate/", {"password": PASSWORD, "next": "/account/alerts/"})
    assert not AppriseUrl.objects.exists()
    assert olivia.post("/account/alerts/apprise/", {"name": "New", "url": NTFY}).status_code == 302
    assert AppriseUrl.objects.filter(user=operator).count() == 1


def event_text(event) -> str:
    return " ".join(str(value) for value in vars(event).values())


def test_it_audits_every_change_of_an_alert_target_masked(olivia, operator):
    olivia.post("/account/alerts/", {"on_failure": "on", "by_email": "on"})
    saved = olivia.post(
        "/account/alerts/",
        {"on_failure": "on", "by_email": "on", "webhook_url": "https://hooks.example/T0KEN"},
    )
    secret = text(saved).split('<code class="copy">')[1].split("</code>")[0]
    olivia.post("/account/alerts/", {"on_failure": "on", "by_email": "", "webhook_url": ""})
    olivia.post("/account/alerts/apprise/", {"name": "Ops room", "url": NTFY})
    channel = AppriseUrl.objects.get(user=operator)
    olivia.post(f"/account/alerts/apprise/{channel.pk}/test/")
    olivia.post("/account/alerts/", {"test": "1"})
    olivia.post(f"/account/alerts/apprise/{channel.pk}/delete/")
    said = [(e.action, e.message, e.actor_username) for e in events() if e.action != "sign_in"]
    assert said == [
        ("alerts_changed", "by email: on", "olivia"),
        ("alerts_changed", "webhook: https://hooks.example/…; a new webhook secret", "olivia"),
        ("alerts_changed", "by email: off; webhook: removed", "olivia"),
        ("alert_target_added", f"Apprise 'Ops room': {channel.masked}", "olivia"),
        ("alert_test_sent", f"Apprise 'Ops room': {channel.masked}", "olivia"),
        ("alert_test_sent", "every way asked for", "olivia"),
        ("alert_target_removed", f"Apprise 'Ops room': {channel.masked}", "olivia"),
    ]
    assert channel.masked.startswith("ntfys://olivia:****@chat.example/")
    for event in events():
        assert "s3cret-word" not in event_text(event) and "T0KEN" not in event_text(event)
        assert secret not in event_text(event)


def test_it_takes_at_most_the_apprise_urls_allowed(olivia, operator, settings):
    settings.BACKUPSUI_APPRISE_MAX = 2
    for name in ("One", "Two"):
        added = olivia.post("/account/alerts/apprise/", {"name": name, "url": NTFY})
        assert added.status_code == 302
    page = html.unescape(text(olivia.get("/account/alerts/")))
    assert "You have the most Apprise URLs allowed (2): remove one to add another." in page
    refused = olivia.post("/account/alerts/apprise/", {"name": "Three", "url": NTFY})
    assert refused.status_code == 400
    assert "You have 2 Apprise URLs, the most allowed: remove one first." in html.unescape(
        text(refused)
    )
    assert AppriseUrl.objects.filter(user=operator).count() == 2
    assert len(events("alert_target_added")) == 2


def test_it_lets_only_one_of_two_adds_at_once_take_the_last_place(operator, settings):
    """Two requests adding Olivia's last allowed URL at the same moment (two workers): the
    count is taken under a lock on her, so one is refused."""
    settings.BACKUPSUI_APPRISE_MAX = 1
    outcomes = []

    def adding():
        try:
            targets.add_apprise_url(Actor.of(operator), operator, "Ops", "slack://a/b/c")
            outcomes.append("added")
        except targets.TooMany:
            outcomes.append("too many")

    at_once(adding, count=2)
    assert sorted(outcomes) == ["added", "too many"]
    assert AppriseUrl.objects.filter(user=operator).count() == 1
