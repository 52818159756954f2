"""What each page gathers (backupsui/backups/pages.py): within the cache, the list page and
the servers page ask the database a small, fixed number of questions, the same for an account
of 50 backups and of 100,000, and no template asks anything."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backupsui.backups.account import account_for
from backupsui.backups.lists import BackupList, memory
from backupsui.plans.models import KeptBackup, Plan, PlanBackup
from backupsui.upstream import Backup, Listing, Server

# The session, the person, their permissions (one read), their language, their stored token,
# their open jobs (the menu), the restores under way (open jobs, restores sent lately) and the
# plans' marks of the page's backups.
LIST_QUERIES = 9
# The same but the marks, and the servers' mutes instead.
SERVERS_QUERIES = 9


def backups(count: int) -> Listing:
    now = datetime.now(UTC)
    return Listing(
        [
            Backup(
                id=n + 1,
                server=Server(id=1000 + n % 300, name=f"vm-{n % 300:03d}"),
                backup_type="automatic" if n % 7 else "manual",
                status="completed" if n % 11 else "failed",
                size_mb=1000 + n % 97,
                created_at=now - timedelta(hours=n % 2000),
                expires_at=now + timedelta(days=n % 30),
                description="Nightly",
            )
            for n in range(count)
        ],
        count,
    )


def queries(client, url: str) -> list[str]:
    client.get(url)  # the session's first write, the person's first look
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("count", [50, 100_000])
def test_it_asks_the_same_few_questions_whatever_the_size_of_the_list(
    operator, operator_client, settings, count
):
    settings.BACKUPS_CACHE_SECONDS = 300
    plan = Plan.objects.create(name="Nightly", owner=operator)
    PlanBackup.objects.create(plan=plan, server_id=1000, backup_id=1, slot=datetime.now(UTC))
    KeptBackup.objects.create(backup_id=2, server_id=1001, marked_by=operator)
    memory.keep(account_for(operator).key, BackupList(backups(count)))  # within the cache

    listed = queries(operator_client, "/backups/")
    assert len(listed) == LIST_QUERIES, listed
    assert len(queries(operator_client, "/backups/?page=2&sort=size")) == LIST_QUERIES
    servers = queries(operator_client, "/servers/")
    assert len(servers) == SERVERS_QUERIES, servers
    assert not [sql for sql in listed + servers if sql.lstrip().upper().startswith("UPDATE")]
