"""Two people start a restore of one server within the same second, each through another
replica (gunicorn, production settings, one database): one job, one safety backup, one
restore; the second person is refused, with the first's name."""

import threading
import time

import pytest

from backupsui.jobs.models import Job
from tests.conftest import OPERATOR_TOKEN, PASSWORD, SUPPORT_TOKEN, make_user, start_sandbox
from tests.helpers import completed_backup
from tests.stack import Browser, Replica, Workers, production_env, stop_all
from tests.system.test_replicas import QuickPBKDF2

pytestmark = pytest.mark.django_db(transaction=True)
SERVERS = (12345, 12346)


@pytest.fixture
def world():
    server = start_sandbox(servers=3, completion_delay=1.0, restore_delay=3600)
    server.restores = []
    restore = server.state.restore_server

    def counted(account, server_id, backup_id):
        server.restores.append((server_id, backup_id))
        return restore(account, server_id, backup_id)

    server.state.restore_server = counted
    yield server
    server.stop()


@pytest.fixture
def stack(world, django_user_model):
    hasher = QuickPBKDF2()
    for name, role, token in (
        ("olivia", "Operators", OPERATOR_TOKEN),
        ("sam", "Support", SUPPORT_TOKEN),
    ):
        person = make_user(django_user_model, name, role, token)
        person.password = hasher.encode(PASSWORD, hasher.salt())
        person.save()
    env = production_env(world.url, BACKUPSUI_TRUSTED_PROXIES="127.0.0.1")
    replicas, workers = [], Workers(world.url)
    try:
        replicas = [Replica(env), Replica(env)]
        workers.start()
        yield replicas
    finally:
        workers.stop()
        stop_all(replicas)


def wait_for(condition, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.05)
    raise AssertionError("the condition did not hold in time")


def test_it_starts_one_restore_when_two_people_start_one_at_once(stack, world):
    a, b = stack
    people = {"olivia": Browser("198.51.100.7"), "sam": Browser("198.51.100.8")}
    for (name, person), replica in zip(people.items(), (a, b), strict=True):
        assert person.sign_in(replica.url, name, PASSWORD).status_code == 302
    for server_id in SERVERS:
        backup = completed_backup(world, server_id)
        server_name = backup.server.name
        url = f"/servers/{server_id}/restore/"
        forms = {}
        for (name, person), replica in zip(people.items(), (a, b), strict=True):
            form = person.form(f"{replica.url}{url}?backup_id={backup.id}")
            forms[name] = {**form, "backup_id": backup.id, "confirm": server_name, "safety": "on"}
        answers, ready = {}, threading.Barrier(2)

        def send(name, person, replica):
            ready.wait()
            answers[name] = person.post(replica.url + url, forms[name])

        threads = [
            threading.Thread(target=send, args=(name, person, replica))
            for (name, person), replica in zip(people.items(), (a, b), strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        statuses = sorted(answer.status_code for answer in answers.values())
        assert statuses == [302, 409], statuses
        job = Job.objects.get(server_id=server_id)
        owner = job.user.get_username()
        refused = next(answer for answer in answers.values() if answer.status_code == 409)
        assert f"started by {owner}" in refused.text
        assert f'href="/jobs/{job.pk}/"' in refused.text
        wait_for(lambda: Job.objects.filter(pk=job.pk, state=Job.State.DONE).exists())
        safety = [
            b
            for b in world.state.backups.values()
            if b.server.id == server_id and b.description.startswith("Safety backup")
        ]
        assert len(safety) == 1
        assert [r for r in world.restores if r[0] == server_id] == [(server_id, backup.id)]
