"""Single sign-on through a real OpenID Connect provider (django-oauth-toolkit, in its own
process on loopback): the groups claim gives the mapped role, a changed claim changes it at
the next sign-in, and someone whose groups map to no role gets no account."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.utils.timezone import now
from playwright.sync_api import expect

from backupsui.accounts.crypto import encrypt
from backupsui.accounts.models import ApiToken
from backupsui.jobs.models import Job
from tests.conftest import SUPPORT_TOKEN, ensure_roles
from tests.e2e.conftest import age_session
from tests.helpers import completed_backup, events
from tests.oidc_provider.running import PROVIDER_PASSWORD, Provider


@pytest.fixture
def provider(world, live_server, settings, tmp_path):
    ensure_roles()
    found = Provider(tmp_path, f"{live_server.url}/accounts/oidc/sso/login/callback/")
    found.configure(settings)
    settings.BACKUPSUI_OIDC_ROLES = {"backup-admins": "Operators", "helpdesk": "Support"}
    yield found
    found.stop()


def sign_in_through(page, base_url, username) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_role("button", name="Sign in with Company SSO", exact=True).click()
    if page.get_by_label("Company username").count():  # not yet signed in at the provider
        page.get_by_label("Company username").fill(username)
        page.get_by_label("Company password").fill(PROVIDER_PASSWORD)
        page.get_by_role("button", name="Continue to the panel").click()


def roles_of(username: str) -> set[str]:
    user = get_user_model().objects.get(username=username)
    return set(user.groups.values_list("name", flat=True))


def test_it_signs_in_through_the_provider_with_the_roles_its_groups_give(
    watched, live_server, provider
):
    page = watched
    provider.set_groups({"alice": ["backup-admins", "staff"], "bob": ["marketing"]})
    sign_in_through(page, live_server.url, "alice")
    # Signed in; no API token yet, so the panel asks for one first.
    expect(page).to_have_url(re.compile(r"/account/token/\?next=%2Fbackups%2F$"))
    expect(page.get_by_text("sso-alice")).to_be_visible()
    assert roles_of("sso-alice") == {"Operators"}
    signed_in = events("sign_in")[-1]
    assert signed_in.actor_username == "sso-alice"
    assert re.fullmatch(r"Single sign-on through sso, subject \d+\.", signed_in.message)
    page.get_by_role("button", name="Sign out").click()

    # The provider moves her to the helpdesk: the next sign-in takes the role away.
    provider.set_groups({"alice": ["helpdesk"]})
    sign_in_through(page, live_server.url, "alice")
    expect(page).to_have_url(re.compile(r"/account/token/"))
    assert roles_of("sso-alice") == {"Support"}
    changes = [e.message for e in events("roles_changed")]
    assert changes[-1].endswith("Support (was Operators).")
    page.get_by_role("button", name="Sign out").click()

    # Someone whose groups give no role: no account, no session.
    page.context.clear_cookies()
    sign_in_through(page, live_server.url, "bob")
    expect(page.get_by_role("heading", name="No access")).to_be_visible()
    assert not get_user_model().objects.filter(username="sso-bob").exists()
    page.goto(f"{live_server.url}/backups/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_it_asks_someone_with_single_sign_on_only_to_sign_on_again_before_a_late_restore(
    watched, live_server, provider, world
):
    page = watched
    provider.set_groups({"alice": ["helpdesk"]})
    sign_in_through(page, live_server.url, "alice")
    expect(page).to_have_url(re.compile(r"/account/token/"))
    user = get_user_model().objects.get(username="sso-alice")
    ApiToken.objects.create(
        user=user, ciphertext=encrypt(SUPPORT_TOKEN), last4=SUPPORT_TOKEN[-4:], saved_at=now()
    )
    backup = completed_backup(world)
    restore = f"{live_server.url}/servers/12345/restore/?backup_id={backup.id}"
    page.goto(restore)
    age_session(page)
    page.get_by_label("to confirm").fill("web-server-01")
    page.get_by_role("button", name=re.compile("^Restore")).click()
    expect(page.get_by_role("heading", name="Sign in with Company SSO")).to_be_visible()
    expect(page.get_by_text("Confirm who you are, then send the form again")).to_be_visible()
    assert Job.objects.count() == 0
    page.get_by_role("button", name="Continue").click()  # signed on at the provider already
    expect(page).to_have_url(restore)
    page.get_by_label("to confirm").fill("web-server-01")
    page.get_by_role("button", name=re.compile("^Restore")).click()
    expect(page).to_have_url(re.compile("/jobs/"))
    assert Job.objects.count() == 1
