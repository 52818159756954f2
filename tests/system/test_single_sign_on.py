"""Single sign-on without edges, through a real OpenID Connect provider (its own process on
loopback; the panel in this process, followed with the test client): an e-mail address a
local account has gives its own account, never a 500 and never a link; names always carry the
`sso-` prefix, with a number when taken; allauth's sign-up form is never shown."""

import pytest
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from tests.conftest import PASSWORD, ensure_roles, make_user
from tests.helpers import FormClient, events, text
from tests.oidc_provider.running import Provider

pytestmark = pytest.mark.django_db
LEFT_OUT = "Your account here was made without an e-mail address"


@pytest.fixture(scope="module")
def running_provider(tmp_path_factory):
    found = Provider(
        tmp_path_factory.mktemp("provider"), "http://testserver/accounts/oidc/sso/login/callback/"
    )
    yield found
    found.stop()


@pytest.fixture
def provider(running_provider, settings):
    ensure_roles()
    running_provider.configure(settings)
    settings.BACKUPSUI_OIDC_ROLES = {"backup-admins": "Operators", "helpdesk": "Support"}
    running_provider.set_groups({})
    return running_provider


def account(username: str):
    return get_user_model().objects.get(username=username)


@pytest.mark.parametrize("verified", [True, False])
def test_it_makes_an_account_of_its_own_when_a_local_account_has_the_email(
    provider, django_user_model, verified
):
    olivia = make_user(django_user_model, "olivia", "Operators")
    olivia.email = "Alice@Example.test"
    olivia.save()
    provider.set_groups(
        {
            "alice": {
                "groups": ["helpdesk"],
                "email": "alice@example.test",
                "email_verified": verified,
            }
        }
    )
    client = FormClient()
    landed = provider.sign_on(client, "alice")
    assert landed.status_code == 302, text(landed)[:2000]
    assert not landed["Location"].startswith("/accounts/sso/")
    alice = account("sso-alice")
    assert alice.email == "" and not alice.has_usable_password()
    assert set(alice.groups.values_list("name", flat=True)) == {"Support"}
    assert not SocialAccount.objects.filter(user=olivia).exists()
    assert client.session["_auth_user_id"] == str(alice.pk)
    assert LEFT_OUT in text(client.get(landed["Location"], follow=True))
    # The local account is as it was: its own password signs in as itself.
    local = FormClient()
    signed_in = local.post("/accounts/login/", {"username": "olivia", "password": PASSWORD})
    assert signed_in.status_code == 302 and local.session["_auth_user_id"] == str(olivia.pk)


def test_it_keeps_an_address_only_when_the_provider_verified_it(provider):
    provider.set_groups(
        {
            "alice": {"groups": ["helpdesk"], "email": "alice@example.test"},
            "bob": {"groups": ["helpdesk"], "email": "bob@example.test", "email_verified": False},
        }
    )
    alice = FormClient()
    landed = provider.sign_on(alice, "alice")
    assert account("sso-alice").email == "alice@example.test"
    assert LEFT_OUT not in text(alice.get(landed["Location"], follow=True))
    provider.sign_on(FormClient(), "bob")
    assert account("sso-bob").email == ""


def test_it_adds_a_number_to_a_name_that_is_taken_never_leaving_the_prefix_out(
    provider, django_user_model
):
    make_user(django_user_model, "sso-root")
    make_user(django_user_model, "SSO-Root2")  # names are told apart without case
    provider.set_groups(
        {
            "alice": {"groups": ["helpdesk"], "preferred_username": "root"},
            "bob": {"groups": ["helpdesk"], "preferred_username": "root"},
            "carol": {"groups": ["helpdesk"], "preferred_username": "Ça va, root?"},
        }
    )
    for person in ("alice", "bob", "carol"):
        assert provider.sign_on(FormClient(), person).status_code == 302
    made = [event.actor_username for event in events("sign_in")]
    assert made == ["sso-root3", "sso-root4", "sso-Çavaroot"]
    # Signing on again is the same account, whatever names were made since.
    assert provider.sign_on(FormClient(), "alice").status_code == 302
    assert events("sign_in")[-1].actor_username == "sso-root3"


def test_it_never_shows_allauths_sign_up_form(provider, client):
    """allauth sends a sign-on it cannot finish by itself to /accounts/sso/signup/, whose form
    the panel's fields do not fit (a 500): the page says no account could be made."""
    pending = SocialLogin(
        provider=get_adapter().get_provider(RequestFactory().get("/"), "sso"),
        user=get_user_model()(username="sso-alice", email="alice@example.test"),
        account=SocialAccount(provider="sso", uid="7"),
    )
    session = client.session
    session["socialaccount_sociallogin"] = pending.serialize()
    session.save()
    page = client.get("/accounts/sso/signup/")
    assert page.status_code == 403
    assert "An account could not be made for you here" in text(page)
    assert "socialaccount_sociallogin" not in client.session
    assert not get_user_model().objects.filter(username="sso-alice").exists()
    assert client.get("/accounts/sso/signup/")["Location"] == "/accounts/login/"
