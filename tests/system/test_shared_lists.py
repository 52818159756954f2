"""One fetch per token across replicas, shared through Redis; a slightly old list shown at once
with its age, and confirmations checked against a fresh list; many people on big accounts.
Real gunicorn replicas (two workers each) on the test database, the sandbox counting the list
fetches it answers."""

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from backupsui.sandbox.state import SandboxConfig
from tests.conftest import OPERATOR_TOKEN, PASSWORD, REDIS_URL, make_user, start_sandbox
from tests.crowd import ListFetches, browse
from tests.stack import Browser, Replica, production_env, stop_all, wait_for

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


class Outage:
    """The sandbox's list answering 503 while the API is down."""

    def __init__(self, server):
        self.app = server.httpd.get_app()
        self.original = self.app.list_backups
        self.down = False
        self.app.list_backups = self._answer

    def _answer(self, account, environ):
        if self.down:
            return 503, {"detail": "Service unavailable."}
        return self.original(account, environ)


STALE_WORDS = re.compile(
    r"This list is from \d\d:\d\d:\d\d UTC \((\d+) s ago\): the Backups API did not answer "
    r"when asked for a newer one at \d\d:\d\d:\d\d UTC \(([^)]+)\)\. Trying again\."
)


def metric(replica, name: str) -> float:
    body = requests.get(
        replica.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_KEY}"}, timeout=30
    ).text
    return float(re.search(rf"^{name} (\S+)$", body, re.MULTILINE)[1])


METRICS_KEY = "scrape-key-for-the-stale-lists-0001"


@pytest.mark.parametrize("shared", ["one process", "redis"])
def test_it_says_an_old_list_is_old_while_the_api_is_down_then_shows_the_new_one(
    request, django_user_model, stack, shared
):
    """The API goes down behind a list: every page, in every worker and replica, shows the
    old list saying when it is from, that the API did not answer and when it was last asked,
    and keeps looking; /metrics and the log count it; the API back, the new list shows."""
    world = start_sandbox(servers=3, completion_delay=3600)
    try:
        person(django_user_model, "olivia", OPERATOR_TOKEN)
        env = production_env(
            world.url,
            BACKUPSUI_TRUSTED_PROXIES="127.0.0.1",
            BACKUPS_CACHE_SECONDS="1",
            BACKUPS_STALE_SECONDS="300",
            BACKUPS_API_TIMEOUT="3",
            BACKUPSUI_METRICS_TOKEN=METRICS_KEY,
        )
        if shared == "redis":
            request.getfixturevalue("redis_db")
            env["BACKUPSUI_CACHE_URL"] = REDIS_URL
            replicas = stack(env)
        else:
            replicas = stack(env, count=1, workers=1)  # without Redis a list is a process's
        olivia = Browser()
        assert olivia.sign_in(replicas[0].url, "olivia", PASSWORD).status_code == 302
        outage = Outage(world)
        page = olivia.get(replicas[0].url + "/backups/")
        rows = re.findall(r'<tr id="backup-(\d+)"', page.text)
        assert rows and "As of" not in page.text

        outage.down = True
        said = wait_for(lambda: STALE_WORDS.search(olivia.get(replicas[0].url + "/backups/").text))
        assert said[2] in (
            "it answered with an error",
            "calls are held back for a few seconds after repeated failures",
        )
        for replica in replicas:  # the other replica's workers too, and the page's own poll
            for headers in ({}, {"HX-Request": "true", "HX-Target": "results"}):
                page = olivia.get(replica.url + "/backups/", headers=headers)
                assert page.status_code == 200 and STALE_WORDS.search(page.text), page.text
                assert re.findall(r'<tr id="backup-(\d+)"', page.text) == rows  # the old list
                assert 'hx-trigger="load delay:5s"' in page.text
        assert metric(replicas[-1], "backupsui_lists_failing") == 1
        assert metric(replicas[-1], "backupsui_list_fetch_failures_total") >= 1
        logged = [
            json.loads(line)
            for line in replicas[0].log.splitlines()
            if line.startswith("{") and '"list_refresh"' in line
        ]
        assert logged and logged[0]["cause"] == "5xx" and logged[0]["list_age_s"] >= 1

        outage.down = False
        fresh = wait_for(
            lambda: (
                (page := olivia.get(replicas[-1].url + "/backups/")).status_code == 200
                and "As of" not in page.text
                and "This list is from" not in page.text
                and page
            ),
            seconds=30,
        )
        assert re.findall(r'<tr id="backup-(\d+)"', fresh.text) == rows
        assert metric(replicas[0], "backupsui_lists_failing") == 0
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
