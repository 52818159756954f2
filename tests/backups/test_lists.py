"""A worker's memory of fetched lists: fresh for a few seconds, keyed by the person's
freshness version, within a byte budget, least recently used first out."""

from datetime import UTC, datetime

import pytest

from backupsui.backups.lists import BYTES_PER_BACKUP, BackupList, Memory
from backupsui.upstream import Backup, Listing, Server


def listing(count: int, server_id: int = 1) -> BackupList:
    when = datetime(2025, 1, 1, tzinfo=UTC)
    return BackupList(
        Listing(
            [
                Backup(
                    id=n + 1, server=Server(id=server_id, name=""), created_at=when, description=""
                )
                for n in range(count)
            ]
        )
    )


@pytest.fixture
def budget(settings):
    settings.BACKUPS_CACHE_SECONDS = 60
    settings.BACKUPS_CACHE_MB = 1  # about 1,970 backups

    def lists_of(count):
        return count * BYTES_PER_BACKUP

    return lists_of


def test_it_keeps_lists_within_the_budget_least_recently_used_first_out(budget):
    memory = Memory()
    for user in (1, 2, 3):
        memory.keep((user, 0), listing(600))
    assert memory.recall((1, 0)) is not None  # 1 is now the most recently used
    memory.keep((4, 0), listing(600))
    assert memory.recall((2, 0)) is None  # the least recently used went out
    assert all(memory.recall((user, 0)) for user in (1, 3, 4))
    assert memory.held_bytes() <= 2**20


def test_it_uses_but_does_not_keep_a_list_larger_than_the_budget(budget):
    memory = Memory()
    memory.keep((1, 0), listing(10))
    made = memory.keep((2, 0), listing(3000))
    assert len(made.backups) == 3000
    assert memory.recall((2, 0)) is None and memory.recall((1, 0)) is not None


def test_it_forgets_a_persons_lists_under_an_older_version(budget):
    memory = Memory()
    memory.keep((1, 111), listing(5))
    memory.keep((1, 222), listing(6))
    assert memory.recall((1, 111)) is None
    assert len(memory.recall((1, 222)).backups) == 6


def test_it_stops_using_a_list_after_the_freshness_window(budget, settings):
    memory = Memory()
    memory.keep((1, 0), listing(5))
    settings.BACKUPS_CACHE_SECONDS = 0
    assert memory.recall((1, 0)) is None and memory.held_bytes() == 0


def test_it_estimates_a_large_lists_size_from_a_sample_of_its_texts():
    from datetime import UTC, datetime

    from backupsui.backups.lists import BYTES_PER_BACKUP, estimated_size
    from backupsui.upstream import Backup, Server

    def made(count, description):
        when = datetime(2025, 1, 1, tzinfo=UTC)
        server = Server(id=1, name="web-01")
        return [
            Backup(id=n, server=server, created_at=when, description=description)
            for n in range(count)
        ]

    assert estimated_size([]) == 0
    small = made(10, "abc")
    assert estimated_size(small) == 10 * (BYTES_PER_BACKUP + 3 + 6)  # every one measured
    large = made(100_000, "x" * 20)
    exact = 100_000 * (BYTES_PER_BACKUP + 20 + 6)
    assert abs(estimated_size(large) - exact) / exact < 0.01
