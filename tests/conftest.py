import importlib
import io
import json
import logging
import os

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.utils import timezone, translation

from backupsui.accounts.crypto import encrypt
from backupsui.accounts.models import ApiToken
from backupsui.accounts.roles import AUDITORS, OPERATORS, SUPPORT
from backupsui.backups import servers_seen
from backupsui.backups.lists import memory
from backupsui.catalogue import compile_all
from backupsui.sandbox.server import SandboxServer
from backupsui.sandbox.state import SandboxConfig
from backupsui.upstream import breaker
from backupsui.upstream.ledger import ledger
from tests.helpers import FormClient

# The translations as the install step compiles them (pytest may be run without make).
compile_all()

OPERATOR_TOKEN = "sbx_operator_token_for_tests_0001"
SUPPORT_TOKEN = "sbx_support_token_for_tests_0002"
OTHER_TOKEN = "sbx_other_account_token_0003"
TOKENS = {OPERATOR_TOKEN: "acme", SUPPORT_TOKEN: "acme", OTHER_TOKEN: "globex"}
PASSWORD = "correct horse battery staple"


@pytest.fixture
def client():
    """A test client that posts forms as browsers do."""
    return FormClient()


@pytest.fixture
def admin_client(db, admin_user):
    """A superuser in the admin, posting forms as browsers do."""
    client = FormClient()
    client.force_login(admin_user)
    return client


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each process's own memory starts empty. The default cache is the database's (as in
    production): each test's transaction, or the flush after a transactional test, empties
    it."""
    memory.clear()
    breaker.reset()
    ledger.take()  # the calls an earlier test counted in this process
    servers_seen.forget_pages()
    yield
    memory.clear()
    # A request in Samoan leaves Samoan active in this thread: the next test starts in English.
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def written():
    """What the panel's own handler writes (production's JSON lines), line by line, each
    parsed."""
    (handler,) = [h for h in logging.getLogger().handlers if h.name == "console"]
    stream = io.StringIO()
    before = handler.setStream(stream)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    handler.setStream(before)


def start_sandbox(**config) -> SandboxServer:
    config.setdefault("accounts", dict(TOKENS))
    return SandboxServer(SandboxConfig(**config)).start()


@pytest.fixture
def sandbox(settings):
    """A sandbox with three servers per account and a short backup delay, on a free port."""
    server = start_sandbox(servers=3, completion_delay=0.5, restore_delay=0.5)
    settings.BACKUPS_API_URL = server.url
    yield server
    server.stop()


@pytest.fixture
def document_sandbox(settings):
    """A sandbox holding exactly the document's three example backups."""
    server = start_sandbox(document_example=True, completion_delay=0.5)
    settings.BACKUPS_API_URL = server.url
    yield server
    server.stop()


def ensure_roles() -> None:
    """The roles as migrations make them (accounts 0002 and 0004, backups 0005); a
    transactional test's flush removes them."""
    roles = dict(
        importlib.import_module("backupsui.accounts.migrations.0002_roles").ROLE_PERMISSIONS
    )
    roles["Auditors"] = importlib.import_module(
        "backupsui.accounts.migrations.0004_auditors"
    ).PERMISSIONS
    muting = importlib.import_module("backupsui.backups.migrations.0006_operators_mute")
    for name, perms in muting.PERMISSIONS.items():
        roles[name] = [*roles[name], *perms]
    plans = importlib.import_module("backupsui.plans.migrations.0002_roles").ROLE_PERMISSIONS
    for name, perms in plans.items():
        roles[name] = [*roles[name], *perms]
    for name, perms in roles.items():
        group, created = Group.objects.get_or_create(name=name)
        if created:
            for perm in perms:
                app_label, codename = perm.split(".")
                group.permissions.add(
                    Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )


def make_user(django_user_model, username, role=None, token=None):
    user = django_user_model.objects.create_user(username=username, password=PASSWORD)
    if role:
        ensure_roles()
        user.groups.add(Group.objects.get(name=role))
    if token:
        ApiToken.objects.create(
            user=user, ciphertext=encrypt(token), last4=token[-4:], saved_at=timezone.now()
        )
    return user


@pytest.fixture
def operator(db, django_user_model):
    return make_user(django_user_model, "olivia", OPERATORS, OPERATOR_TOKEN)


@pytest.fixture
def support(db, django_user_model):
    return make_user(django_user_model, "sam", SUPPORT, SUPPORT_TOKEN)


@pytest.fixture
def auditor(db, django_user_model):
    """Views everything, changes nothing."""
    return make_user(django_user_model, "ada", AUDITORS, SUPPORT_TOKEN)


@pytest.fixture
def other_operator(db, django_user_model):
    """An Operator whose token is of the other account (globex)."""
    return make_user(django_user_model, "oscar", OPERATORS, OTHER_TOKEN)


@pytest.fixture
def outsider(db, django_user_model):
    """Signed in, with a token, but in no role."""
    return make_user(django_user_model, "otto", None, OTHER_TOKEN)


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def support_client(client, support):
    client.force_login(support)
    return client


# Redis (the shared cache): its tests run wherever the Redis of BACKUPSUI_TEST_REDIS_URL
# answers; BACKUPSUI_TEST_REDIS_REQUIRED=1 (CI) makes a missing Redis an error.
BASE_REDIS_URL = os.environ.get("BACKUPSUI_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def worker_redis_url(base: str, worker: str | None) -> str:
    """Each pytest-xdist worker (gw0, gw1, ...) empties a database of its own: the base
    URL's database number plus the worker's number (gw1 of .../5 uses .../6)."""
    if not worker or not worker.startswith("gw"):
        return base
    head, _, number = base.rpartition("/")
    if not number.isdigit():  # no database named: 0
        head, number = base.rstrip("/"), "0"
    return f"{head}/{int(number) + int(worker[2:])}"


REDIS_URL = worker_redis_url(BASE_REDIS_URL, os.environ.get("PYTEST_XDIST_WORKER"))


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def pytest_collection_modifyitems(config, items):
    """The markers by folder (`make test-fast` leaves out what is slow or needs a browser),
    and the Redis tests only where a Redis answers, unless CI requires them."""
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.e2e)
        elif "system" in item.path.parts:
            item.add_marker(pytest.mark.slow)
    needing = [item for item in items if item.get_closest_marker("redis")]
    if not needing or redis_answers():
        return
    if os.environ.get("BACKUPSUI_TEST_REDIS_REQUIRED") == "1":
        raise pytest.UsageError(f"Redis does not answer at {REDIS_URL}: its tests are required.")
    config.hook.pytest_deselected(items=needing)
    items[:] = [item for item in items if not item.get_closest_marker("redis")]
    config.issue_config_time_warning(
        pytest.PytestWarning(f"{len(needing)} Redis tests not run: nothing answers at {REDIS_URL}"),
        stacklevel=2,
    )


def shared_cache_settings() -> dict:
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "backupsui",
    }


@pytest.fixture
def shared_cache(settings):
    """The lists shared through the test Redis (its database emptied before and after);
    yields a plain Redis client to look inside."""
    import redis

    settings.BACKUPSUI_CACHE_URL = REDIS_URL
    settings.CACHES = {**settings.CACHES, "lists": shared_cache_settings()}
    raw = redis.Redis.from_url(REDIS_URL)
    raw.flushdb()
    yield raw
    raw.flushdb()
    raw.close()
