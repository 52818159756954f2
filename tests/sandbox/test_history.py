"""The sandbox's history of manual backups (--history-days): several a day, on every server,
in the past, deterministic from the seed."""

from collections import Counter
from datetime import UTC, datetime

import pytest

from backupsui.sandbox.state import SandboxConfig, SandboxState

NOW = datetime(2026, 5, 20, 12, tzinfo=UTC)


def state(**config):
    return SandboxState(SandboxConfig(accounts={"t": "acme"}, **config), clock=lambda: NOW)


def test_it_seeds_several_manual_backups_a_day_on_every_server():
    seeded = state(history_days=10, manual_per_server=0)
    manual = [b for b in seeded.backups.values() if b.backup_type == "manual"]
    per_server_day = Counter((b.server.id, b.created_at.date()) for b in manual)
    assert {server for server, _day in per_server_day} == set(seeded.servers)
    assert len(per_server_day) == 3 * 10
    assert all(2 <= count <= 5 for count in per_server_day.values())
    assert all(b.created_at < NOW and b.completes_at <= NOW for b in manual)
    again = state(history_days=10, manual_per_server=0)
    assert [b.created_at for b in again.backups.values()] == [
        b.created_at for b in seeded.backups.values()
    ]


def test_it_seeds_no_history_unless_asked_and_refuses_a_negative_one():
    assert not [b for b in state(manual_per_server=0).backups.values() if b.backup_type == "manual"]
    with pytest.raises(ValueError):
        state(history_days=-1)
