"""Hostile text from the API (markup, quotes, braces and placeholders, a right-to-left override,
3,000 characters) in every column of both tables and every option of the filters, in English
and in Samoan: escaped exactly once, bidirectional controls written out and isolated, long
names cut with the whole name (to a bound) in the title, and a page that stays small
(backupsui/backups/names.py, row_html.py, server_row_html.py, forms.py)."""

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
import responses
from django.test import override_settings

from backupsui.accounts.models import Preference
from backupsui.backups import names
from backupsui.backups.forms import as_typed
from backupsui.backups.lists import memory
from backupsui.plans.models import KeptBackup, Plan, PlanBackup
from tests.helpers import text

API = "http://backups.test/api/v1"
HEAD = "\u202egpj.exe <script>alert(\"x\")</script> & 'q' {0} %(name)s <img src=x onerror=alert(1)>"
HOSTILE = HEAD + "A" * (3000 - len(HEAD))
# The status and the type of the API's own words, shown as they came when the panel does not
# know them.
STATUS = "<b>\u202edone</b> & 'q' \"dq\"" + "S" * 200
KIND = "<i>\u202eweekly</i> & {0}" + "K" * 200
PLAN = '<b>"plan"</b> & \u202e {0} %(name)s'
SERVER = 7
NOW = datetime.now(UTC).replace(microsecond=0)

ALLOWED_TAGS = {
    "tr", "td", "a", "span", "bdi", "time", "br", "form", "input", "button", "template",
    "select", "option", "q", "tbody", "h1", "title", "strong",
}  # fmt: skip


def listing(count: int) -> dict:
    backups = []
    for n in range(count):
        backups.append(
            {
                "id": 100 + n,
                "server": {"id": SERVER, "name": HOSTILE},
                "backup_type": KIND if n % 3 == 0 else "automatic",
                "status": STATUS if n % 3 == 1 else "completed",
                "size_mb": 1000 + n,
                "created_at": (NOW - timedelta(hours=n + 1)).isoformat(),
                "expires_at": (NOW + timedelta(days=2)).isoformat(),
                "description": HOSTILE,
            }
        )
    return {"count": count, "results": backups}


class Parsed(HTMLParser):
    """Tags with their attributes, and the text, of an HTML fragment (entities read once)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.texts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.texts.append(data)

    def values(self) -> list[str]:
        return self.texts + [v or "" for _tag, attrs in self.tags for v in attrs.values()]


def check_fragment(html: str) -> Parsed:
    """No markup of the hostile text got in, none of it escaped twice, no bidirectional
    control left, every piece of it shown as names.py shows it."""
    assert not re.search(r"&amp;(lt|gt|quot|#x27|amp);", html), "escaped twice"
    parsed = Parsed(html)
    # What is shown: an option's value goes back to the panel as it came, it is not shown.
    attributes = [attrs.items() for _tag, attrs in parsed.tags]
    shown = parsed.texts + [v or "" for pairs in attributes for k, v in pairs if k != "value"]
    assert not [value for value in shown if any(c in value for c in names.BIDI_CONTROLS)]
    assert {tag for tag, _attrs in parsed.tags} <= ALLOWED_TAGS
    assert not [attrs for _tag, attrs in parsed.tags if "onerror" in attrs or "src" in attrs]
    for value in shown:
        if "alert(" in value:  # a name or a description: its visible form, cut
            assert '[U+202E]gpj.exe <script>alert("x")</script>' in value
            assert len(value) <= names.TITLE_MOST
        if "done</b>" in value:
            assert "<b>[U+202E]done</b> & 'q' \"dq\"" in value
        if "weekly</i>" in value:
            assert "<i>[U+202E]weekly</i> & {0}" in value
    return parsed


def fragments(body: str) -> list[str]:
    """Each table body, each select, the page's heading and title."""
    found = re.findall(r"<tbody>.*?</tbody>|<select.*?</select>", body, flags=re.S)
    found += re.findall(r"<h1>.*?</h1>|<title>.*?</title>", body, flags=re.S)
    return found


@pytest.fixture
def hostile(operator, settings):
    settings.BACKUPS_API_URL = API
    plan = Plan.objects.create(name=PLAN, owner=operator, schedule="0 3 * * *")
    PlanBackup.objects.create(plan=plan, server_id=SERVER, backup_id=102, slot=NOW)
    KeptBackup.objects.create(backup_id=103, server_id=SERVER, marked_by=operator)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        api.get(API + "/backups/", json=listing(60))
        yield api


@pytest.mark.parametrize("language", ["en", "sm"])
def test_it_shows_hostile_text_in_every_cell_and_option_escaped_once_and_cut(
    hostile, operator, operator_client, language
):
    Preference.objects.create(user=operator, language=language)
    pages = {
        "list": f"/backups/?server_id={SERVER}",
        "list, 2nd page": f"/backups/?server_id={SERVER}&page=2",
        "servers": "/servers/",
        "story": f"/servers/{SERVER}/",
    }
    seen = {}
    for name, url in pages.items():
        response = operator_client.get(url)
        assert response.status_code == 200, name
        body = text(response)
        parts = fragments(body)
        assert parts, name
        for part in parts:
            check_fragment(part)
        seen[name] = body

    listed = seen["list"]
    assert "[U+202E]gpj.exe" in listed and "<bdi" in listed
    rows = re.findall(r'<tr id="backup-\d+".*?</tr>', listed, flags=re.S)
    assert len(rows) == 50
    # Each column of a row: the server, the type, the status, the description, the actions
    # (labels naming the server), the plan's mark and the kept mark.
    row = Parsed(rows[0])
    bdis = [attrs for tag, attrs in row.tags if tag == "bdi"]
    assert bdis and all(len(attrs["title"]) == names.TITLE_MOST for attrs in bdis)
    shown = names.shown(HOSTILE)[0]
    assert len(shown) == names.NAME_SHOWN and shown in row.texts
    labels = [attrs["aria-label"] for _tag, attrs in row.tags if "aria-label" in attrs]
    assert any(shown in label for label in labels)
    said = "".join(Parsed("".join(rows)).texts)
    assert "<i>[U+202E]weekly</i> & {0}" in said and "<b>[U+202E]done</b>" in said
    assert '<b>"plan"</b> & [U+202E] {0} %(name)s' in said  # the plan's mark
    assert "badge-kept" in "".join(rows)

    options = re.search(r'<select name="server_id".*?</select>', listed, flags=re.S)[0]
    option = [attrs for tag, attrs in Parsed(options).tags if attrs.get("value") == str(SERVER)]
    assert option and option[0]["title"].startswith("[U+202E]gpj.exe <script>")
    assert "selected" in option[0]
    statuses = re.search(r'<select name="status".*?</select>', listed, flags=re.S)[0]
    assert "done</b>" in "".join(Parsed(statuses).texts)

    servers = seen["servers"]
    said = "".join(Parsed(re.search(r'<tr id="server-7">.*?</tr>', servers, flags=re.S)[0]).texts)
    assert "[U+202E]gpj.exe <script>" in said and '<b>"plan"</b> & [U+202E]' in said

    # 3,000 characters of markup in the name and the description of fifty rows: each cut.
    assert len(seen["story"].encode()) < 170_000, len(seen["story"].encode())


@override_settings(BACKUPS_API_URL=API)
@responses.activate
def test_it_keeps_the_page_of_a_server_with_a_3000_character_name_small(operator_client):
    """It was 325 kB, three times the page of a server with a short name: the name whole in
    every row, in every row's labels and in the picker."""

    def sizes(name: str) -> list[int]:
        listed = listing(60)
        for backup in listed["results"]:
            backup.update(backup_type="automatic", status="completed", description="Nightly")
            backup["server"]["name"] = name
        responses.get(API + "/backups/", json=listed)
        try:
            urls = (f"/servers/{SERVER}/", f"/backups/?server_id={SERVER}", "/servers/")
            return [len(operator_client.get(url).content) for url in urls]
        finally:
            responses.reset()
            memory.clear()

    short, long = sizes("web-server-01"), sizes("n" * 3000)
    for plain, named in zip(short, long, strict=True):
        assert named < plain * 1.4, (plain, named)


def test_it_shows_names_as_they_are_when_they_are_plain():
    assert names.shown("web-01") == ("web-01", "")
    assert str(names.name_html("web-01")) == "<bdi>web-01</bdi>"
    arabic = "خادم\u200f-1"  # a right-to-left mark is kept: names in Arabic need it
    assert names.shown(arabic) == (arabic, "")


def test_it_writes_out_every_bidirectional_control_and_cuts_long_names():
    for control in names.BIDI_CONTROLS:
        assert names.visible(f"a{control}b") == f"a[U+{ord(control):04X}]b"
    shown, whole = names.shown("x" * 3000)
    assert len(shown) == names.NAME_SHOWN and shown.endswith("…")
    assert len(whole) == names.TITLE_MOST and whole.endswith("…")
    assert names.shown("y" * names.NAME_SHOWN) == ("y" * names.NAME_SHOWN, "")


def test_it_takes_a_typed_name_as_the_page_shows_it():
    """A restore is confirmed by typing the name the page shows, controls written out, or
    pasting it with the controls themselves."""
    name = "invoice\u202egpj.exe"
    assert as_typed("invoice[U+202E]gpj.exe") == as_typed(name)
    assert as_typed(name) == as_typed("invoice\u202egpj.exe ")
    assert as_typed("invoicegpj.exe") != as_typed(name)


@override_settings(BACKUPS_API_URL=API)
@responses.activate
def test_it_asks_the_restore_confirmation_for_the_name_as_shown(operator_client):
    responses.get(API + "/backups/", json=listing(2))
    body = text(operator_client.get(f"/servers/{SERVER}/restore/?backup_id=100"))
    assert not any(control in body for control in names.BIDI_CONTROLS)
    code = re.search(r'<code class="copy"><bdi>(.*?)</bdi></code>', body, flags=re.S)[1]
    assert "[U+202E]gpj.exe" in code and len(code) > 3000  # whole, to be typed
