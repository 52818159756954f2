"""The running version and the releases: /healthz and the foot of every page name the version,
which is the CHANGELOG's newest heading; each release the CHANGELOG names is a commit git has,
and the CHANGELOG and docs/deploy.md say how to tag it locally (a clone carries no tags)."""

import re
import subprocess
from pathlib import Path

from django.test import Client
from django.urls import reverse

import backupsui
from tests.releases import RELEASES

ROOT = Path(__file__).resolve().parents[1]
CHANGELOG = ROOT / "CHANGELOG.md"


def test_it_names_the_version_in_healthz_and_at_the_foot_of_pages(db, operator):
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+)?", backupsui.__version__)
    client, operator_client = Client(), Client()
    operator_client.force_login(operator)
    health = client.get("/healthz")
    assert health.content.decode() == f"ok\nversion {backupsui.__version__}\n"
    for page in (client.get(reverse("login")), operator_client.get(reverse("audit:list"))):
        assert f'<footer class="version">backupsui {backupsui.__version__}</footer>' in (
            page.content.decode()
        )


def test_it_is_the_version_of_the_changelogs_newest_heading():
    headings = re.findall(r"^## (.+)$", CHANGELOG.read_text(encoding="utf-8"), re.MULTILINE)
    newest = headings[0]
    assert newest in (f"Unreleased ({backupsui.__version__})",) or newest.startswith(
        f"{backupsui.__version__} — commit "
    ), newest


def test_it_names_each_releases_commit_and_how_to_tag_it():
    changelog = CHANGELOG.read_text(encoding="utf-8")
    deploy = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    named = dict(re.findall(r"^## (\d+\.\d+\.\d+) — commit ([0-9a-f]{7,40})", changelog, re.M))
    assert named == RELEASES
    for version, commit in named.items():
        found = subprocess.run(
            ["git", "cat-file", "-t", commit], cwd=ROOT, capture_output=True, text=True
        )
        assert found.stdout.strip() == "commit", version
        for text in (changelog, deploy):
            assert f"git tag v{version} {commit}" in text, version
