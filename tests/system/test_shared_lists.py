"""One fetch per token across replicas, shared through Redis; a slightly old list shown at once
with its age, and confirmations checked against a fresh list; many people on big accounts.
Real gunicorn replicas (two workers each) on the test database, the sandbox counting the list
fetches it answers."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from backupsui.sandbox.state import SandboxConfig
from tests.conftest import OPERATOR_TOKEN, PASSWORD, REDIS_URL, make_user, start_sandbox
from tests.crowd import ListFetches, browse
from tests.stack import Browser, Replica, production_env, stop_all

pytestmark = pytest.mark.django_db(transaction=True)


class QuickPBKDF2(PBKDF2PasswordHasher):
    """Production's own hasher, few rounds: the replicas check what the tests stored."""

    iterations = 1000


def person(django_user_model, username, token, role="Operators"):
    user = make_user(django_user_model, username, role, token)
    hasher = QuickPBKDF2()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save()
    return user


@pytest.fixture
def redis_db():
    """The test Redis, emptied before and after."""
    import redis

    raw = redis.Redis.from_url(REDIS_URL)
    raw.flushdb()
    yield raw
    raw.flushdb()
    raw.close()


@pytest.fixture
def stack():
    """Starts replicas and stops them all at the end."""
    started = []

    def start(env, count=2, workers=2):
        for _ in range(count):
            started.append(Replica(env, workers=workers))
        return started[-count:]

    yield start
    stop_all(started)


def at_once(calls):
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [future.result() for future in [pool.submit(call) for call in calls]]


@pytest.mark.redis
def test_it_makes_one_fetch_for_eight_requests_of_a_cold_list_across_two_replicas(
    django_user_model, stack, redis_db
):
    world = start_sandbox(servers=3, completion_delay=3600)
    try:
        person(django_user_model, "olivia", OPERATOR_TOKEN)
        env = production_env(
            world.url, BACKUPSUI_TRUSTED_PROXIES="127.0.0.1", BACKUPSUI_CACHE_URL=REDIS_URL
        )
        a, b = stack(env)
        olivia = Browser()
        assert olivia.sign_in(a.url, "olivia", PASSWORD).status_code == 302
        fetches = ListFetches(world)
        fetches.hold()  # the first fetch waits: the other requests come while it runs
        answers = []
        with ThreadPoolExecutor(max_workers=8) as pool:
            pending = [pool.submit(olivia.get, (a, b)[n % 2].url + "/backups/") for n in range(8)]
            assert fetches.wait_for(1, seconds=20)
            assert not fetches.wait_for(2, seconds=1.5)  # no second fetch while it runs
            fetches.release()
            answers = [future.result() for future in pending]
        assert [answer.status_code for answer in answers] == [200] * 8
        assert all('id="backup-' in answer.text for answer in answers)
        assert fetches.count == 1
    finally:
        world.stop()


@pytest.mark.parametrize("shared", ["one process", "redis"])
def test_it_shows_a_slightly_old_list_at_once_and_confirms_a_delete_from_a_fresh_one(
    request, django_user_model, stack, shared
):
    world = start_sandbox(servers=3, completion_delay=3600)
    try:
        person(django_user_model, "olivia", OPERATOR_TOKEN)
        env = production_env(
            world.url,
            BACKUPSUI_TRUSTED_PROXIES="127.0.0.1",
            BACKUPS_CACHE_SECONDS="2",
            BACKUPS_STALE_SECONDS="60",
            BACKUPS_API_TIMEOUT="5",
        )
        if shared == "redis":
            request.getfixturevalue("redis_db")
            env["BACKUPSUI_CACHE_URL"] = REDIS_URL
            a, b = stack(env)
        else:
            a = b = stack(env, count=1, workers=1)[0]  # without Redis a list is a process's
        olivia = Browser()
        assert olivia.sign_in(a.url, "olivia", PASSWORD).status_code == 302
        fetches = ListFetches(world)
        doomed = next(
            backup.id
            for backup in world.state.backups.values()
            if backup.server.id == 12345 and backup.backup_type == "automatic"
        )
        first = olivia.get(a.url + "/backups/?server_id=12345&sort=created")
        assert f'id="backup-{doomed}"' in first.text and "As of" not in first.text
        assert fetches.count == 1

        world.state.delete_backup("acme", doomed)  # outside the panel
        time.sleep(2.2)  # the list is now older than BACKUPS_CACHE_SECONDS
        fetches.hold()
        began = time.monotonic()
        page = olivia.get(b.url + "/backups/?server_id=12345&sort=created")
        assert page.status_code == 200 and time.monotonic() - began < 5
        assert f'id="backup-{doomed}"' in page.text  # the old list, at once
        age = re.search(r"As of (\d+) s ago", page.text)
        assert age and 2 <= int(age[1]) <= 10, page.text[:2000]
        assert fetches.wait_for(2, seconds=10)  # a new one is being fetched behind it

        with ThreadPoolExecutor(max_workers=1) as pool:
            confirming = pool.submit(olivia.get, a.url + f"/backups/{doomed}/delete/")
            assert not fetches.wait_for(3, seconds=0.5)  # it waits for that fetch, not its own
            fetches.release()
            confirmation = confirming.result()
        assert confirmation.status_code == 404  # checked against the fresh list: gone
        assert "is not in the list" in confirmation.text
        assert fetches.count == 2

        # The page's own look once the new list is in (what htmx asks for) shows it.
        part = olivia.get(
            b.url + "/backups/?server_id=12345&sort=created",
            headers={"HX-Request": "true", "HX-Target": "results"},
        )
        assert part.status_code == 200 and 'id="results"' in part.text
        assert f'id="backup-{doomed}"' not in part.text
    finally:
        world.stop()


CROWD_SECONDS = 60
PEOPLE, ACCOUNTS, BACKUPS = 20, 6, 10_000


@pytest.mark.slow
@pytest.mark.redis
def test_it_serves_twenty_people_on_six_big_accounts_with_one_fetch_per_token_a_window(
    django_user_model, stack, redis_db
):
    tokens = [f"sbx_crowd_token_{number:04d}" for number in range(PEOPLE)]
    world = start_sandbox(
        accounts={token: f"account-{n % ACCOUNTS}" for n, token in enumerate(tokens)},
        servers=SandboxConfig.servers_for(BACKUPS),
        completion_delay=3600,
        page_size=1000,
    )
    try:
        for number, token in enumerate(tokens):
            person(django_user_model, f"person{number:02d}", token, role="Support")
        window = 5.0
        env = production_env(
            world.url,
            BACKUPSUI_TRUSTED_PROXIES="127.0.0.1",
            BACKUPSUI_CACHE_URL=REDIS_URL,
            BACKUPS_CACHE_SECONDS=str(window),
        )
        a, b = stack(env)
        people = []
        for number in range(PEOPLE):
            browser = Browser()
            assert browser.sign_in(a.url, f"person{number:02d}", PASSWORD).status_code == 302
            people.append((browser, [a.url, b.url]))
        fetches = ListFetches(world)
        seen = browse(people, seconds=CROWD_SECONDS)
        assert seen["errors"] == [], seen["errors"][:10]
        assert seen["answers"] >= PEOPLE * 3  # each person saw several pages
        assert fetches.count >= PEOPLE  # every token's list was fetched…
        assert fetches.most_in_window(window) == 1  # …and at most once in any window
        print(
            f"\n20 people, {CROWD_SECONDS} s: {seen['answers']} pages, p50 {seen['p50']:.0f} ms, "
            f"p95 {seen['p95']:.0f} ms, {fetches.count} fetches"
        )
    finally:
        world.stop()
