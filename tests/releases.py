"""The released versions as git holds them (CHANGELOG.md names each one's commit; a clone
carries no tags): each one's tree, for running its own code, and its migrations."""

import re
import subprocess
import tarfile
from pathlib import Path

from tests.stack import ROOT

RELEASES = {"0.1.0": "739d083", "0.2.0": "c126bd7"}
PREVIOUS = "0.2.0"  # the release before the one being made


def release_tree(commit: str, into: Path) -> Path:
    """The release's files, as `git archive` gives them, in `into`."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    ).stdout
    into.mkdir()
    archive_path = into.with_suffix(".tar")
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(into, filter="data")
    return into


def release_migrations(commit: str) -> dict[str, list[str]]:
    """Each app's migrations in a release's tree, in order."""
    names = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", commit, "backupsui"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.split()
    found: dict[str, list[str]] = {}
    for name in names:
        match = re.fullmatch(r"backupsui/(\w+)/migrations/(\d{4}\w*)\.py", name)
        if match:
            found.setdefault(match[1], []).append(match[2])
    return {app: sorted(migrations) for app, migrations in sorted(found.items())}


def release_leaves(commit: str) -> dict[str, str]:
    """Each app's newest migration in a release (the state to migrate back to)."""
    return {app: migrations[-1] for app, migrations in release_migrations(commit).items()}
