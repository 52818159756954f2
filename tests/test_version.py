"""The running version, where an operator looks for it: /healthz and the foot of every page."""

import re
from pathlib import Path

from django.test import Client
from django.urls import reverse

import backupsui

CHANGELOG = Path(__file__).resolve().parents[1] / "CHANGELOG.md"


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


def test_it_keeps_a_changelog_entry_for_the_version_being_made():
    text = CHANGELOG.read_text(encoding="utf-8")
    assert f"## Unreleased ({backupsui.__version__})" in text or (
        f"## {backupsui.__version__} " in text
    )
