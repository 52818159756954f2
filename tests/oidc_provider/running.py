"""The test OpenID Connect provider as a process of its own on loopback (django-oauth-toolkit,
tests/oidc_provider/settings.py), for the tests that sign on through it: the browser tests,
and those that follow the redirects with the test client and `requests`."""

import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
from html import unescape
from urllib.parse import urljoin

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

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

    def set_groups(self, people: dict[str, list[str] | dict]) -> None:
        """Each person's groups, or a dict of the claims that differ from their defaults
        (`groups`, `email`, `email_verified`, `preferred_username`)."""
        self.groups_file.write_text(json.dumps(people))

    def configure(self, settings) -> None:
        """The panel's settings for this provider (Django's `settings` fixture)."""
        settings.SOCIALACCOUNT_PROVIDERS = {
            "openid_connect": {
                "SCOPE": ["openid", "profile", "email", "groups"],
                "OAUTH_PKCE_ENABLED": True,
                "APPS": [
                    {
                        "provider_id": "sso",
                        "name": "Company SSO",
                        "client_id": CLIENT_ID,
                        "secret": self.secret,
                        "settings": {"server_url": self.issuer},
                    }
                ],
            }
        }
        settings.SECURE_CSP = {
            **settings.SECURE_CSP,
            "form-action": [*settings.SECURE_CSP["form-action"], f"http://127.0.0.1:{self.port}"],
        }

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def sign_on(self, client, username: str):
        """A person signing on through the panel (Django's test `client`, on
        http://testserver) and this provider (`requests`, as their browser there): the
        panel's answer to the provider's callback."""
        started = client.post("/accounts/oidc/sso/login/")
        assert started.status_code == 302, started.content[:2000]
        there = requests.Session()
        there.trust_env = False
        answer = there.get(started["Location"], allow_redirects=False, timeout=30)
        for _ in range(10):
            if answer.status_code == 200 and 'name="csrfmiddlewaretoken"' in answer.text:
                form = dict(
                    re.findall(r'name="(csrfmiddlewaretoken|next)" value="([^"]*)"', answer.text)
                )
                form = {name: unescape(value) for name, value in form.items()}
                form.update(username=username, password=PROVIDER_PASSWORD)
                answer = there.post(
                    answer.url,
                    data=form,
                    headers={"Referer": answer.url},
                    allow_redirects=False,
                    timeout=30,
                )
                continue
            assert answer.status_code == 302, (answer.status_code, answer.text[:2000])
            location = urljoin(answer.url, answer.headers["Location"])
            if location.startswith("http://testserver/"):
                return client.get(location.removeprefix("http://testserver"))
            answer = there.get(location, allow_redirects=False, timeout=30)
        raise AssertionError("the provider did not send the person back to the panel")
