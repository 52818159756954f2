"""Reading is only reading: with a person's list already cached, no page writes a row (the
session apart) or enqueues a task. What must follow a fresh list happens once, before the
list is shared."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from backupsui.backups import account as account_module
from backupsui.backups.account import account_for
from backupsui.backups.lists import memory
from backupsui.jobs.models import Job
from tests.helpers import body_of, completed_backup

WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def writes(queries) -> list[str]:
    return [
        q["sql"] for q in queries if WRITES.match(q["sql"]) and "django_session" not in q["sql"]
    ]


@pytest.fixture
def warm(sandbox, operator, operator_client, settings):
    settings.BACKUPS_CACHE_SECONDS = 300
    sandbox.state.config.completion_delay = 3600
    running = sandbox.state.create_backup("acme", 12346, "running for the test")
    backup = completed_backup(sandbox)
    job = Job.objects.create(
        user=operator, server_id=12345, server_name="web-server-01", backup_id=backup.id
    )
    assert operator_client.get("/backups/").status_code == 200  # the list, fetched once
    return {"backup": backup, "running": running, "job": job}


def test_it_writes_nothing_and_enqueues_nothing_while_pages_render(warm, operator_client):
    backup, job = warm["backup"], warm["job"]
    pages = [
        "/backups/",
        "/backups/?page=2&sort=size",
        "/backups/?server_id=12345",
        f"/backups/poll/?watch=12346:{warm['running']['id']}",
        "/backups/new/?server_id=12345",
        f"/backups/{backup.id}/delete/",
        f"/servers/12345/restore/?backup_id={backup.id}",
        "/servers/",
        "/servers/export.csv",
        "/audit/",
        "/audit/export.csv",
        f"/jobs/{job.pk}/",
        "/account/token/",
        "/account/alerts/",
        "/healthz",
        "/readyz",
    ]
    tasks_before = DBTaskResult.objects.count()
    with CaptureQueriesContext(connection) as captured:
        for page in pages:
            response = operator_client.get(page)
            assert response.status_code == 200, page
            body_of(response)  # streamed pages are read through
    assert writes(captured.captured_queries) == []
    assert DBTaskResult.objects.count() == tasks_before


def test_it_shares_a_fresh_list_only_once_what_follows_it_is_done(sandbox, operator, monkeypatch):
    """A list is in the cache only after the servers seen are noted, so no other thread can
    work out servers' health without them."""
    account = account_for(operator)
    seen_in_cache = []
    original = account_module.note_servers

    def noting(*args, **kwargs):
        found = original(*args, **kwargs)
        seen_in_cache.append(memory.recall(account.key))  # another thread's view right now
        return found

    monkeypatch.setattr(account_module, "note_servers", noting)
    account.backups()
    assert seen_in_cache == [None]
    assert memory.recall(account.key).known  # and once shared, complete
