"""CSV exports of names from the API: a server name or description holding bidirectional
controls (U+202E turns "gpj.exe" around) is written out visibly ([U+202E]), in every column,
and a 3,000-character name is cut to bidi.NAME_MAX, in the backups, servers and report
exports; formulas stay defused."""

import csv
import io

import pytest

from backupsui.bidi import BIDI_CONTROLS, NAME_MAX, shown_name
from backupsui.csv_export import cell
from tests.helpers import body_of

RLO = "\u202e"
HOSTILE = f"db-01{RLO}gpj.exe"


@pytest.fixture
def hostile_names(sandbox):
    """Server 12345 has a right-to-left override in its name; 12346 a 3,000-character name;
    a backup of 12345 the override in its description."""
    sandbox.state.servers[12345].name = HOSTILE
    sandbox.state.servers[12346].name = "x" * 3000
    backup = next(b for b in sandbox.state.backups.values() if b.server.id == 12345)
    backup.description = f"before the update {RLO}evil"
    return sandbox


def rows_of(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body_of(response))))


@pytest.mark.parametrize(
    "path", ["/backups/export.csv", "/servers/export.csv", "/reports/export.csv"]
)
def test_it_writes_bidirectional_controls_out_and_cuts_long_names(
    hostile_names, operator_client, path
):
    body = body_of(operator_client.get(path))
    assert not set(body) & BIDI_CONTROLS
    rows = list(csv.DictReader(io.StringIO(body)))
    names = {row["server"] for row in rows}
    assert "db-01[U+202E]gpj.exe" in names
    assert "x" * (NAME_MAX - 1) + "…" in names
    assert max(len(name) for name in names) <= NAME_MAX
    if path == "/backups/export.csv":
        assert "before the update [U+202E]evil" in {row["description"] for row in rows}


def test_it_writes_every_bidirectional_control_out():
    text = "a\u061cb\u200ec\u200fd\u202ae\u202bf\u202cg\u202dh\u202ei\u2066j\u2067k\u2068l\u2069m"
    assert shown_name(text) == (
        "a[U+061C]b[U+200E]c[U+200F]d[U+202A]e[U+202B]f[U+202C]g[U+202D]h[U+202E]i"
        "[U+2066]j[U+2067]k[U+2068]l[U+2069]m"
    )
    assert cell(f"{RLO}=cmd|' /C calc'!A0") == "[U+202E]=cmd|' /C calc'!A0"
    assert cell("=1+1") == "'=1+1"
    assert cell("\u200b=1+1") == "'\u200b=1+1"  # an invisible space is still a space here
