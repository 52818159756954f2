"""Two replicas of the panel (gunicorn, 2 workers each, production settings) on one database
(the SQLite file in the first CI pass, PostgreSQL in the second) behind one TLS proxy, and the
sandbox: a form does its change once (the bulk "Back up now" too: one create per server), a
change and a new token are seen at once everywhere, and the proxy's clients are told apart."""

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import call_command

from backupsui.audit.models import AuditEvent
from backupsui.jobs.models import BulkItem, BulkRequest
from tests.conftest import OPERATOR_TOKEN, OTHER_TOKEN, PASSWORD, make_user, start_sandbox
from tests.stack import ROOT, Browser, Replica, production_env, stop_all

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 20


@pytest.fixture
def world():
    server = start_sandbox(servers=3, completion_delay=3600, restore_delay=3600)
    yield server
    server.stop()


class QuickPBKDF2(PBKDF2PasswordHasher):
    """Production's own hasher, few rounds: the replicas check what the tests stored."""

    iterations = 1000


@pytest.fixture
def replicas(world, django_user_model):
    olivia = make_user(django_user_model, "olivia", "Operators", OPERATOR_TOKEN)
    hasher = QuickPBKDF2()
    olivia.password = hasher.encode(PASSWORD, hasher.salt())
    olivia.save()
    env = production_env(
        world.url,
        BACKUPSUI_TRUSTED_PROXIES="127.0.0.1",
        # A list is remembered for a minute: only the freshness version can make it new.
        BACKUPS_CACHE_SECONDS="60",
    )
    started = []
    try:
        for _ in range(2):
            started.append(Replica(env))
        yield started, env
    finally:
        stop_all(started)


@pytest.fixture
def person(replicas):
    (a, _b), _env = replicas
    person = Browser()
    answer = person.sign_in(a.url, "olivia", PASSWORD)
    assert answer.status_code == 302, answer.text[:3000]
    return person


def both_at_once(calls):
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [future.result() for future in [pool.submit(call) for call in calls]]


def server_ids(page: str) -> set[int]:
    """The servers in the list's server picker ("name (#id)")."""
    return {int(i) for i in re.findall(r'<option value="(\d+)"[^>]*>[^<]*\(#\d+\)<', page)}


def test_it_carries_out_a_form_once_when_both_replicas_get_it(replicas, person, world):
    (a, b), _env = replicas
    before = len(world.state.backups)
    for number in range(ROUNDS):
        form = {**person.form(a.url + "/backups/new/"), "server_id": "12345"}
        form["description"] = f"round {number}"
        answers = both_at_once(
            [
                lambda: person.post(a.url + "/backups/new/", form),
                lambda: person.post(b.url + "/backups/new/", form),
            ]
        )
        assert [answer.status_code for answer in answers] == [302, 302]
    assert len(world.state.backups) == before + ROUNDS  # not twice as many
    assert AuditEvent.objects.filter(action="backup_requested").count() == ROUNDS

    doomed = next(i for i, b in world.state.backups.items() if b.description == "round 0")
    world.state.backups[doomed].completes_at = world.state.clock()
    form = person.form(f"{a.url}/backups/{doomed}/delete/")
    both_at_once(
        [
            lambda: person.post(f"{a.url}/backups/{doomed}/delete/", form),
            lambda: person.post(f"{b.url}/backups/{doomed}/delete/", form),
        ]
    )
    assert doomed not in world.state.backups
    assert AuditEvent.objects.filter(action="backup_deleted").count() == 1

    source = next(b for b in world.state.backups.values() if b.server.id == 12345 and b.id < 100)
    url = f"/servers/12345/restore/?backup_id={source.id}"
    form = {**person.form(a.url + url), "backup_id": source.id, "confirm": "web-server-01"}
    answers = both_at_once(
        [
            lambda: person.post(a.url + "/servers/12345/restore/", form),
            lambda: person.post(b.url + "/servers/12345/restore/", form),
        ]
    )
    assert [answer.status_code for answer in answers] == [302, 302]
    assert AuditEvent.objects.filter(action="restore_requested").count() == 1


def test_it_backs_up_each_server_once_when_both_replicas_get_the_bulk_form(
    replicas, person, world, settings
):
    (a, b), _env = replicas
    settings.BACKUPS_API_URL = world.url  # this process's worker calls the same sandbox
    servers = [12345, 12346, 12347]
    bulk_rounds = 5
    for number in range(bulk_rounds):
        chosen = "?" + "&".join(f"server_id={server}" for server in servers)
        form = person.form(a.url + "/servers/backup/" + chosen)
        assert form.get("idempotency_key")
        form.update(server_id=servers, description=f"bulk {number}")
        answers = both_at_once(
            [
                lambda: person.post(a.url + "/servers/backup/", form),
                lambda: person.post(b.url + "/servers/backup/", form),
            ]
        )
        # Never an error: the key's first sending goes to its results, the other to the
        # list ("sent a moment ago and being carried out; not sent twice").
        assert [answer.status_code for answer in answers] == [302, 302], [
            answer.text[:2000] for answer in answers
        ]
        bulk = BulkRequest.objects.get(description=f"bulk {number}")
        where = sorted(answer.headers["Location"] for answer in answers)
        assert where == ["/backups/", f"/jobs/bulk/{bulk.pk}/"]
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0")
    assert BulkRequest.objects.count() == bulk_rounds
    assert set(BulkItem.objects.values_list("state", flat=True)) == {"accepted"}
    for number in range(bulk_rounds):
        made = [
            b.server.id for b in world.state.backups.values() if b.description == f"bulk {number}"
        ]
        assert sorted(made) == servers  # one create per server, not two
    assert AuditEvent.objects.filter(action="backup_requested").count() == 3 * bulk_rounds
    results = person.get(f"{b.url}/jobs/bulk/{bulk.pk}/")
    assert results.status_code == 200 and results.text.count("badge-accepted") == 3


def test_it_shows_a_change_made_on_one_replica_on_the_other_at_once(replicas, person, world):
    (a, b), _env = replicas
    seen = 0
    for number in range(ROUNDS):
        for _ in range(4):  # both of B's workers remember the list as it was
            person.get(b.url + "/backups/?server_id=12345")
        form = {**person.form(a.url + "/backups/new/"), "server_id": "12345"}
        assert person.post(a.url + "/backups/new/", form).status_code == 302
        newest = max(world.state.backups)
        page = person.get(b.url + "/backups/?server_id=12345").text
        seen += f'id="backup-{newest}"' in page
        assert number + 1 == seen
    assert seen == ROUNDS


def test_it_uses_a_token_replaced_anywhere_on_the_next_request(replicas, person, world):
    (a, b), env = replicas
    acme = server_ids(person.get(b.url + "/backups/").text)
    assert 12345 in acme
    form = {**person.form(a.url + "/account/token/"), "token": OTHER_TOKEN}
    assert person.post(a.url + "/account/token/", form).status_code == 302
    globex = server_ids(person.get(b.url + "/backups/").text)
    assert globex and not globex & acme
    subprocess.run(
        [sys.executable, "manage.py", "set_api_token", "olivia"],
        input=OPERATOR_TOKEN + "\n",
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert server_ids(person.get(b.url + "/backups/").text) == acme


def test_it_tells_the_proxys_clients_apart(replicas, settings):
    (a, b), _env = replicas
    x, y = Browser("198.51.100.7"), Browser("198.51.100.8")
    statuses = [x.sign_in(a.url, "olivia", "wrong").status_code for _ in range(5)]
    assert statuses[-1] == 429
    assert x.sign_in(b.url, "olivia", PASSWORD).status_code == 429  # locked on every replica
    assert y.sign_in(b.url, "olivia", PASSWORD).status_code == 302
    failures = AuditEvent.objects.filter(action="sign_in_failed")
    assert set(failures.values_list("remote_addr", flat=True)) == {"198.51.100.7"}
    assert AuditEvent.objects.get(action="sign_in").remote_addr == "198.51.100.8"
    # The same headers from an address that is not the proxy are not believed.
    forger = Browser("198.51.100.66", source="127.0.0.2")
    forger.sign_in(a.url, "olivia", "wrong")
    # Nor do they make a request secure (gunicorn's own forwarded headers included).
    forged = forger.get(a.url + "/accounts/login/", headers={"X-Forwarded-Ssl": "on"})
    assert "Strict-Transport-Security" not in forged.headers
    assert "Strict-Transport-Security" in y.get(a.url + "/accounts/login/").headers
    assert failures.filter(remote_addr="127.0.0.2").count() == 1
    assert not failures.filter(remote_addr="198.51.100.66").exists()
    before = AuditEvent.objects.count()
    for _ in range(100):
        assert x.sign_in(a.url, "olivia", "wrong").status_code == 429
    assert AuditEvent.objects.count() - before <= 2
