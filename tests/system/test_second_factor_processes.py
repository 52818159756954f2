"""Second factors across processes: two gunicorn replicas (one worker each, production settings)
on the test database share the default cache (the database's, or Redis when
BACKUPSUI_CACHE_URL is set), so one authenticator-app code signs in once whichever process
gets it, and wrong codes sent to either count together."""

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from backupsui.accounts import code_limits
from backupsui.audit.models import AuditEvent
from tests import html_check
from tests.conftest import OPERATOR_TOKEN, PASSWORD, REDIS_URL, make_user, start_sandbox
from tests.helpers import totp_code
from tests.stack import Browser, Replica, production_env, stop_all, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
STEP = "/accounts/2fa/authenticate/"


class QuickPBKDF2(PBKDF2PasswordHasher):
    """Production's own hasher, few rounds: the replicas check what the tests stored."""

    iterations = 1000


@pytest.fixture
def olivia(django_user_model):
    user = make_user(django_user_model, "olivia", "Operators", OPERATOR_TOKEN)
    hasher = QuickPBKDF2()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save()
    TOTP.activate(user, SECRET)
    return user


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def replicas(request, olivia):
    world = start_sandbox(servers=1, completion_delay=3600)
    env = production_env(world.url, BACKUPSUI_TRUSTED_PROXIES="127.0.0.1")
    raw = None
    if request.param == "redis":
        import redis

        raw = redis.Redis.from_url(REDIS_URL)
        raw.flushdb()
        env["BACKUPSUI_CACHE_URL"] = REDIS_URL
    started = []
    try:
        for _ in range(2):
            started.append(Replica(env, workers=1))
        yield started
    finally:
        stop_all(started)
        world.stop()
        if raw is not None:
            raw.flushdb()
            raw.close()


def at_second_step(replica, address: str) -> Browser:
    person = Browser(client_address=address)
    asked = person.sign_in(replica.url, "olivia", PASSWORD)
    assert asked.status_code == 302 and asked.headers["Location"] == STEP, asked.text[:2000]
    return person


def send_code(person: Browser, replica, code: str):
    return person.post(replica.url + STEP, {**person.form(replica.url + STEP), "code": code})


def test_it_signs_in_once_with_one_code_whichever_process_gets_it(replicas):
    a, b = replicas
    first, second = at_second_step(a, "192.0.2.10"), at_second_step(b, "192.0.2.11")
    # Early in a 30-second step: the code is still current when the second process gets it.
    wait_for(lambda: time.time() % 30 < 20, seconds=31, every=0.2)
    code = totp_code(SECRET)
    signed_in = send_code(first, a, code)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] != STEP
    again = send_code(second, b, code)
    assert again.status_code == 200 and "Incorrect code." in again.text
    assert second.get(b.url + "/backups/").status_code == 302  # not signed in


def test_it_counts_wrong_codes_sent_to_either_process_together(replicas):
    a, b = replicas
    person = at_second_step(a, "192.0.2.12")
    limit = 5  # BACKUPSUI_CODE_FAILURE_LIMIT's default
    answers = [send_code(person, (a, b)[n % 2], "000000") for n in range(limit)]
    assert [answer.status_code for answer in answers] == [200] * (limit - 1) + [429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert html_check.problems({"the lock-out page": answers[-1].text}) == []
    # Locked on both, whatever the code.
    assert send_code(person, b, totp_code(SECRET)).status_code == 429
    assert send_code(person, a, totp_code(SECRET)).status_code == 429
    locked = AuditEvent.objects.filter(message=code_limits.LOCKED_OUT, actor_username="olivia")
    assert locked.count() == 1
