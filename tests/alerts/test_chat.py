"""Apprise URLs under the outbound rule, for every allowed service: a URL whose host is
loopback, IPv4-mapped loopback, the metadata address, site-local, private, a name resolving
to loopback, on a port outside BACKUPSUI_OUTBOUND_PORTS, or with certificate checks off is
refused when it is added, saying why; and one saved while its name resolved publicly, which
resolves to loopback later, is connected to never (a listener there counts). Hosted services
(no host in the URL) are checked at each sending, on their own address. Names are resolved
from a table (tests/resolving.py): nothing is looked up beyond this machine."""

import html

import pytest
from django.conf import settings as django_settings

from backupsui import outbound
from backupsui.accounts.crypto import encrypt
from backupsui.alerts import chat
from backupsui.alerts.delivery import Alert, deliver
from backupsui.alerts.models import AppriseUrl, Delivery, Subscription
from backupsui.outbound import Table
from backupsui.words import Sentence
from tests.helpers import text
from tests.resolving import Everywhere, Listener

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC = "93.184.216.34"
# Each allowed service that sends to the host its URL names, written with that host.
WITH_HOST = {
    "ntfys": "ntfys://olivia:s3cret@{host}/topic",
    "matrixs": "matrixs://olivia:s3cret@{host}/#room",
    "mmosts": "mmosts://{host}/s3cretTokenabcdefghij",
    "rockets": "rockets://olivia:s3cret@{host}/#channel",
    "workflows": "workflows://{host}/abcdef0123456789/s3cretsignature0123",
    "zulip": "zulip://bot@{host}/abcdefghijklmnopqrstuvwxyz012345",
}
# Each allowed hosted service (its URL names no server), as one of its URLs.
HOSTED = {
    "slack": "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7",
    "tgram": "tgram://123456789:abcdefg_hijklmnop/12345",
    "discord": "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js",
    "pagerduty": "pagerduty://myroutekey@myapikey",
    "opsgenie": "opsgenie://apikey123/@user?action=new",  # (an "info" is a note, else)
    "pover": "pover://uQiRzpo4DXghDmr9QzzfQu27cmVRsG@azGDORePK8gMaC0QOYAMyEEuzJnyUi",
    "gchat": "gchat://workspace/key/token",
    "splunk": "splunk://routekey@apikey",
    "victorops": "victorops://routekey@apikey",
    "wxteams": "wxteams://" + "a" * 80,
    "webex": "webex://" + "a" * 80,
    "pbul": "pbul://o.gn5kj6nfhv736I7jC3cj3QLRiyhgl98b",
}
GONE = {"msteams"}  # allowed by default, but Apprise 2 no longer has it
HOSTILE = [
    ("127.0.0.1", "loopback"),
    ("[::ffff:127.0.0.1]", "carries an IPv4 address inside it that is not public"),
    ("169.254.169.254", "link-local"),
    ("[fec0::1]", "site-local"),
    ("10.1.2.3", "in a private network"),
    ("internal.example", "loopback"),  # a name: the table answers 127.0.0.1
    ("chat.example:8443", "Port 8443 is not allowed"),
    ("chat.example", "Certificate checks cannot be turned off"),  # with ?verify=no
]


@pytest.fixture
def names(monkeypatch):
    """Names resolve from a table: chat.example is public, internal.example loopback."""
    table = Table({"chat.example": [PUBLIC], "internal.example": ["127.0.0.1"]})
    monkeypatch.setattr(outbound, "resolver", table)
    return table


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.BACKUPSUI_OUTBOUND_PORTS = frozenset({443})
    return settings


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.stop()


def add(client, url: str, name: str = "Ops"):
    return client.post("/account/alerts/apprise/", {"name": name, "url": url})


def an_alert() -> Alert:
    line = Sentence.verbatim("Backup 7 of web-01 (#12345) failed.")
    return Alert("backup_failed", Sentence.verbatim("backupsui: a failure"), [line], [{}])


def test_it_knows_where_every_allowed_service_sends():
    """Every default scheme is either sent to the host its URL names (and tested below
    with hostile hosts) or a hosted service's (checked at each sending)."""
    for scheme in django_settings.BACKUPSUI_APPRISE_SCHEMES:
        assert (scheme in WITH_HOST) != (scheme in chat.HOSTED), scheme
        assert scheme in WITH_HOST or scheme in HOSTED or scheme in GONE, scheme


@pytest.mark.parametrize("scheme", sorted(WITH_HOST))
@pytest.mark.parametrize(("host", "says"), HOSTILE, ids=[h for h, _s in HOSTILE])
def test_it_refuses_an_apprise_url_whose_host_is_not_public(
    scheme, host, says, operator_client, production, names
):
    assert scheme in production.BACKUPSUI_APPRISE_SCHEMES
    url = WITH_HOST[scheme].format(host=host)
    if "Certificate" in says:
        url += "&verify=no" if "?" in url else "?verify=no"
    if scheme == "zulip" and host.startswith("["):
        says = "Apprise cannot read that URL"  # its organisation is a name, never IPv6
    answer = add(operator_client, url)
    assert answer.status_code == 400
    assert says in html.unescape(text(answer))
    assert not AppriseUrl.objects.exists()


@pytest.mark.parametrize("scheme", sorted(WITH_HOST))
def test_it_takes_an_apprise_url_whose_host_is_public(scheme, operator_client, production, names):
    answer = add(operator_client, WITH_HOST[scheme].format(host="chat.example"))
    assert answer.status_code == 302
    assert AppriseUrl.objects.count() == 1


def test_it_takes_hosted_services_without_looking_their_tokens_up(
    operator_client, production, monkeypatch
):
    monkeypatch.setattr(outbound, "resolver", Table({}))  # nothing resolves
    production.BACKUPSUI_APPRISE_MAX = len(HOSTED)
    for scheme, url in HOSTED.items():
        assert add(operator_client, url, name=scheme).status_code == 302, scheme
    assert AppriseUrl.objects.count() == len(HOSTED)


def test_it_refuses_a_service_apprise_no_longer_has(operator_client, production, names):
    for scheme in GONE:
        answer = add(operator_client, f"{scheme}://team/a/b/c")
        assert "Apprise cannot read that URL" in html.unescape(text(answer))


@pytest.mark.parametrize("scheme", sorted(WITH_HOST))
def test_it_connects_nowhere_when_a_saved_host_later_resolves_to_loopback(
    scheme, operator, operator_client, production, monkeypatch, listener
):
    """Saved while chat.example was public; it resolves to this machine (where a listener
    counts connections) when the alert goes: nothing connects, and the kept outcome says
    why it was not delivered."""
    production.BACKUPSUI_OUTBOUND_PORTS = frozenset({listener.port})
    monkeypatch.setattr(outbound, "resolver", Table({"chat.example": [PUBLIC]}))
    url = WITH_HOST[scheme].format(host=f"chat.example:{listener.port}")
    assert add(operator_client, url).status_code == 302
    monkeypatch.setattr(outbound, "resolver", Table({"chat.example": ["127.0.0.1"]}))
    subscription = Subscription.objects.get(user=operator)
    said = str(deliver(subscription, an_alert()))
    assert listener.connections == 0
    assert said.startswith("Not delivered to Ops.") and "loopback" in said
    [kept] = Delivery.objects.filter(user=operator)
    assert not kept.ok and "loopback" in kept.outcome_text


def test_it_checks_a_hosted_services_own_address_at_each_sending(operator, production, monkeypatch):
    """Every name resolved while sending (here: all of them) to loopback: no hosted
    service is sent to, each says why."""
    monkeypatch.setattr(outbound, "resolver", Everywhere())
    for scheme, url in HOSTED.items():
        AppriseUrl.objects.create(user=operator, name=scheme, ciphertext=encrypt(url), masked="")
    subscription = Subscription.objects.create(user=operator)
    deliver(subscription, an_alert())
    kept = Delivery.objects.filter(user=operator)
    assert {row.name for row in kept} == set(HOSTED)
    for row in kept:
        assert not row.ok and "loopback" in row.outcome_text, (row.name, row.outcome_text)


def test_it_refuses_an_apprise_url_with_certificate_checks_off_saved_before(
    operator, production, names
):
    """A URL saved before the rule (verify=no) is refused when it is used."""
    url = "ntfys://chat.example/topic?verify=no"
    AppriseUrl.objects.create(user=operator, name="old", ciphertext=encrypt(url), masked="")
    said = str(deliver(Subscription.objects.create(user=operator), an_alert()))
    assert said.startswith("Not delivered to old.") and "Certificate checks" in said


def test_it_lets_development_send_to_loopback_only_in_debug(operator_client, settings, names):
    settings.BACKUPSUI_APPRISE_SCHEMES = ["json"]
    settings.DEBUG = False
    assert add(operator_client, "json://127.0.0.1:8080/hook").status_code == 400
    settings.DEBUG = True
    assert add(operator_client, "json://127.0.0.1:8080/hook").status_code == 302
    assert add(operator_client, "json://chat.example:8080/hook").status_code == 400  # public


@pytest.mark.parametrize("scheme", sorted(WITH_HOST))
def test_it_refuses_at_sending_what_it_refuses_at_saving(
    scheme, operator, production, names, listener
):
    """URLs kept from before the rule (straight into the database), one of each kind it
    refuses, the loopback ones at a listener that counts connections: each is refused
    when the alert goes, saying why, and nothing connects."""
    production.BACKUPSUI_OUTBOUND_PORTS = frozenset({443, listener.port})
    production.BACKUPSUI_APPRISE_SCHEMES = [scheme]
    expected = {}
    for number, (host, says) in enumerate(HOSTILE):
        if scheme == "zulip" and host.startswith("["):
            continue  # Apprise cannot read these (test above)
        if host in ("127.0.0.1", "internal.example"):  # (Apprise reads no IPv6 with a port)
            host = f"{host}:{listener.port}"
        url = WITH_HOST[scheme].format(host=host)
        if "Certificate" in says:
            url += "&verify=no" if "?" in url else "?verify=no"
        name = f"url {number}"
        AppriseUrl.objects.create(user=operator, name=name, ciphertext=encrypt(url), masked="")
        expected[name] = says
    deliver(Subscription.objects.create(user=operator), an_alert())
    assert listener.connections == 0
    kept = {row.name: row for row in Delivery.objects.filter(user=operator)}
    assert set(kept) == set(expected)
    for name, says in expected.items():
        assert not kept[name].ok and says in kept[name].outcome_text, (name, says)
