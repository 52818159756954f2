"""The servers table's rows put together in Python (backupsui/backups/server_row_html.py): the
same HTML the template loop they replace wrote, kept here as the reference, in English and in
Samoan, for every kind of row (muted, running, covered by plans, failures, manual backups that
never expire, a name that needs escaping, a reader who may or may not back up and mute)."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template import engines
from django.utils import timezone, translation

from backupsui.backups import presenters
from backupsui.backups.health import Due, assess
from backupsui.backups.server_row_html import server_row_html, words_for_servers
from backupsui.upstream import Backup, Server

# The loop of templates/backups/servers.html before its rows were put together in Python.
REFERENCE = (Path(__file__).parent / "server_rows_reference.html").read_text()
NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night Europe's clocks go forward


def backup(n, server, name, *, hours, status="completed", kind="automatic", expires=True):
    return Backup(
        id=n,
        server=Server(id=server, name=name),
        backup_type=kind,
        status=status,
        size_mb=100 + n if status == "completed" else None,
        created_at=NOW - timedelta(hours=hours),
        expires_at=NOW + timedelta(days=2, hours=n) if expires else None,
        description="",
    )


def rows_of_every_kind():
    backups = [
        backup(1, 1, "web-1", hours=2),
        backup(2, 1, "web-1", hours=1, status="in_progress"),
        backup(3, 2, "db <2> & 'q' \"x\"", hours=40),
        backup(4, 2, "db <2> & 'q' \"x\"", hours=30, status="failed"),
        backup(5, 2, "db <2> & 'q' \"x\"", hours=20, status="failed"),
        backup(6, 3, "cache-3", hours=100, kind="manual", expires=False),
        backup(7, 3, "cache-3", hours=90, kind="manual", expires=False),
        backup(8, 4, "", hours=3, status="failed"),
        backup(9, 5, "covered-5", hours=30),
    ]
    known = {6: "seen-before-6"}
    due = {5: Due(plan_id=9, plan_name="Nightly <9>", period=timedelta(hours=6))}
    servers = assess(backups, known, NOW, due)
    rows = presenters.server_rows(servers, NOW, back="/servers/?sort=name&q=a b")
    for row in rows:
        if row.server.id in (2, 6):
            row.muted_until = NOW + timedelta(hours=5)
    plan = SimpleNamespace(pk=9, name="Nightly <9>")
    other = SimpleNamespace(pk=12, name="Hourly & more")
    planned = {
        5: [
            {"plan": plan, "next": NOW + timedelta(hours=3), "period": None},
            {"plan": other, "next": None, "period": None},
        ],
        1: [{"plan": other, "next": NOW + timedelta(minutes=10), "period": None}],
    }
    return rows, planned


def tidy(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


@pytest.mark.parametrize("language", ["en", "sm"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "Pacific/Apia"])
@pytest.mark.parametrize("can_create,can_mute", [(True, True), (False, False), (True, False)])
def test_it_writes_the_rows_the_template_wrote(language, zone, can_create, can_mute):
    rows, planned = rows_of_every_kind()
    with translation.override(language), timezone.override(zone):
        reference = engines["django"].from_string(REFERENCE)
        plans = [planned.get(row.server.id, []) for row in rows]
        expected = reference.render(
            {"rows_and_plans": zip(rows, plans), "can_create": can_create, "can_mute": can_mute}
        )
        words = words_for_servers(can_create, can_mute)
        made = "".join(server_row_html(row, theirs, words) for row, theirs in zip(rows, plans))
    assert tidy(made) == tidy(expected)
    assert made.count("<tr ") == 6 and "&lt;2&gt; &amp; &#x27;q&#x27; &quot;x&quot;" in made


def test_it_is_what_the_servers_page_draws(operator_client, sandbox):
    page = operator_client.get("/servers/").content.decode()
    assert page.count('<tr id="server-') == 3
    assert 'aria-label="Choose ' in page and "/mute/" in page
