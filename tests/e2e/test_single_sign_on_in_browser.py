"""Single sign-on through a real OpenID Connect provider (django-oauth-toolkit, in its own
process on loopback): the groups claim gives the mapped role, a changed claim changes it at
the next sign-in, and someone whose groups map to no role gets no account."""

import contextlib
import json
import os
import re
import secrets
import subprocess
import sys

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.utils.timezone import now
from playwright.sync_api import expect

from backupsui.accounts.crypto import encrypt
from backupsui.accounts.models import ApiToken
from backupsui.jobs.models import Job
from tests.conftest import SUPPORT_TOKEN, ensure_roles
from tests.e2e.conftest import age_session
from tests.helpers import completed_backup, events
from tests.stack import ROOT, free_port

CLIENT_ID = "backupsui-tests"
PROVIDER_PASSWORD = "provider password 123"


class Provider:
    def __init__(self, tmp_path, redirect_uri: str):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}/o"
        self.secret = secrets.token_urlsafe(24)
        self.groups_file = tmp_path / "groups.json"
        self.set_groups({})
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BACKUPS"))}
        self.env.update(
            DJANGO_SETTINGS_MODULE="tests.oidc_provider.settings",
            OIDC_TEST_SECRET_KEY=secrets.token_urlsafe(40),
            OIDC_TEST_DATABASE=str(tmp_path / "provider.sqlite3"),
            OIDC_TEST_RSA_KEY=pem,
            OIDC_TEST_ISSUER=self.issuer,
            OIDC_TEST_GROUPS=str(self.groups_file),
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.oidc_provider.prepare",
                redirect_uri,
                CLIENT_ID,
                self.secret,
            ],
            cwd=ROOT,
            env=self.env,
            check=True,
            timeout=120,
        )
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.wait_until_up()

    def wait_until_up(self, seconds: float = 60) -> None:
        url = f"{self.issuer}/.well-known/openid-configuration"
        session = requests.Session()
        for _ in range(int(seconds * 10)):
            if self.process.poll() is not None:
                raise RuntimeError("the OpenID Connect provider stopped")
            try:
                if session.get(url, timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=0.1)  # a wait on the process, not a sleep
        raise RuntimeError("the OpenID Connect provider did not start")

    def set_groups(self, groups: dict[str, list[str]]) -> None:
        self.groups_file.write_text(json.dumps(groups))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def provider(world, live_server, settings, tmp_path):
    ensure_roles()
    found = Provider(tmp_path, f"{live_server.url}/accounts/oidc/sso/login/callback/")
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "SCOPE": ["openid", "profile", "email", "groups"],
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "sso",
                    "name": "Company SSO",
                    "client_id": CLIENT_ID,
                    "secret": found.secret,
                    "settings": {"server_url": found.issuer},
                }
            ],
        }
    }
    settings.BACKUPSUI_OIDC_ROLES = {"backup-admins": "Operators", "helpdesk": "Support"}
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "form-action": [*settings.SECURE_CSP["form-action"], f"http://127.0.0.1:{found.port}"],
    }
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
