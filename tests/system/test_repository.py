"""What the repository holds: no local database (it held password hashes and session keys)."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)


def test_it_keeps_no_local_database_in_git():
    tracked = git("ls-files").stdout.splitlines()
    assert tracked, "not a git checkout"
    assert [name for name in tracked if "sqlite3" in name] == []
    for name in ("db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm", "db.sqlite3-journal"):
        assert git("check-ignore", "-q", name).returncode == 0, name
