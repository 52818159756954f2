"""The browser tests: the panel as a live server, the sandbox on loopback with a short backup
delay, and Debian's chromium driven by Playwright. Never a downloaded browser."""

import os
import shutil
import time

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore

from backupsui.accounts.identity import CONFIRMED_AT
from tests.conftest import OPERATOR_TOKEN, SUPPORT_TOKEN, make_user, start_sandbox

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# (fixtures, assertions on the audit trail) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
BAD_IMPACTS = {"serious", "critical"}


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail(
            "Debian's chromium is not installed: run `make test` as root (it installs "
            "it), or `apt-get install chromium`. The browser tests do not skip.",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {"executable_path": chromium_path(), "args": CHROMIUM_FLAGS, "headless": True}


@pytest.fixture
def world(live_server, settings, transactional_db):
    """The sandbox the live panel talks to, with a short delay and a short cache."""
    server = start_sandbox(servers=3, completion_delay=2.0, restore_delay=1.0)
    settings.BACKUPS_API_URL = server.url
    settings.BACKUPS_CACHE_SECONDS = 1
    yield server
    server.stop()


@pytest.fixture
def people(world, django_user_model):
    return {
        "olivia": make_user(django_user_model, "olivia", "Operators", OPERATOR_TOKEN),
        "sam": make_user(django_user_model, "sam", "Support", SUPPORT_TOKEN),
        "nina": make_user(django_user_model, "nina", "Support"),
    }


class Watch:
    """Everything the browser complained about: console errors, page errors, CSP reports."""

    def __init__(self, page):
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"pageerror: {error}"))
        page.on("response", self._response)

    def _console(self, message):
        # A page the panel answers with 400 or 502 on purpose is logged as a failed load;
        # every other resource's failure is caught by _response below.
        if message.text.startswith("Failed to load resource: the server responded"):
            return
        if message.type in ("error", "warning") or "Content Security Policy" in message.text:
            self.problems.append(f"{message.type}: {message.text}")

    def _response(self, response):
        if response.request.resource_type != "document" and response.status >= 400:
            self.problems.append(f"{response.status} for {response.url}")


@pytest.fixture
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": {"width": 1280, "height": 900},
        "timezone_id": "UTC",
        "locale": "en-GB",
    }


@pytest.fixture
def watched(page):
    watch = Watch(page)
    page.set_default_timeout(15_000)
    yield page
    assert watch.problems == [], watch.problems


@pytest.fixture
def axe():
    checker = Axe()

    def check(page) -> list[str]:
        results = checker.run(page)
        bad = [v for v in results.response["violations"] if v.get("impact") in BAD_IMPACTS]
        return [f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][0]['target']}" for v in bad]

    return check


def sign_in(page, base_url, username, password="correct horse battery staple"):
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def age_session(page) -> None:
    """As if the person signed in longer ago than BACKUPSUI_REAUTH_MINUTES."""
    key = next(
        c["value"]
        for c in page.context.cookies()
        if c["name"] == django_settings.SESSION_COOKIE_NAME
    )
    session = SessionStore(key)
    long_ago = time.time() - (django_settings.BACKUPSUI_REAUTH_MINUTES + 1) * 60
    for record in session.get(AUTHENTICATION_METHODS_SESSION_KEY, []):
        record["at"] = long_ago
    session[CONFIRMED_AT] = long_ago
    session.save()
