"""What people do in sequence: filter, then page, then export; choose a server from the list's
dropdown; and a crawler that, for each role, follows every link and every hx-get of the list
and the audit with filters set, and of the pages those lead to, and runs html-validate on
every page and fragment it fetched."""

import re
from html import escape, unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urldefrag, urljoin, urlsplit

import pytest

from backupsui.audit.models import Action, Outcome
from backupsui.audit.recorder import note
from tests import html_check
from tests.conftest import OPERATOR_TOKEN, PASSWORD, SUPPORT_TOKEN, make_user
from tests.helpers import FormClient, text

HTMX = {"HX-Request": "true"}


class Links(HTMLParser):
    """Every href and hx-get on a page, with what htmx would swap (its hx-target)."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, str, str | None, dict]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("href", "hx-get"):
            if attributes.get(name):
                self.found.append((name, attributes[name], attributes.get("hx-target"), attributes))


def links_of(body: str) -> list[tuple[str, str, str | None, dict]]:
    parser = Links()
    parser.feed(body)
    return parser.found


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def keeps_filters(page_url: str, link: str) -> bool:
    """Every filter of the page is in the link (the page number aside)."""
    page, target = query_of(page_url), query_of(link)
    return all(target.get(name) == values for name, values in page.items() if name != "page")


def is_pager_or_export(attributes: dict, url: str) -> bool:
    return attributes.get("rel") in ("next", "prev") or urlsplit(url).path.endswith("export.csv")


# Filter, then page, then export ------------------------------------------------------------


def test_it_keeps_every_filter_on_the_next_page_of_backups(sandbox, operator_client):
    first = operator_client.get("/backups/", {"q": "Automatic", "backup_type": "automatic"})
    assert "1–50 of 90" in text(first)
    following = next(
        url for kind, url, _t, attrs in links_of(text(first)) if attrs.get("rel") == "next"
    )
    assert not following.startswith("??")
    second = operator_client.get(urljoin("/backups/", following))
    assert "51–90 of 90" in text(second)


def test_it_keeps_every_filter_on_the_next_page_of_the_audit(operator_client, operator):
    for number in range(60):
        note(None, Action.TOKEN_SET, actor_username=f"user{number}")
    for _number in range(15):
        note(None, Action.TOKEN_REMOVED, actor_username="x")
    url = "/audit/?action=token_set"
    first = operator_client.get(url)
    assert "1–50 of 60" in text(first)
    following = next(u for _k, u, _t, attrs in links_of(text(first)) if attrs.get("rel") == "next")
    second = operator_client.get(urljoin(url, following))
    assert "51–60 of 60" in text(second)


def test_it_exports_what_htmx_filtered_on_screen(operator_client, operator):
    note(None, Action.TOKEN_SET, actor_username="x")
    note(None, Action.TOKEN_REMOVED, actor_username="x")
    fragment = operator_client.get(
        "/audit/", {"action": "token_removed"}, headers={**HTMX, "HX-Target": "audit-results"}
    )
    assert "<html" not in text(fragment)
    export = next(u for _k, u, _t, _a in links_of(text(fragment)) if "export.csv" in u)
    assert query_of(export) == {"action": ["token_removed"]}
    rows = b"".join(operator_client.get(export).streaming_content).decode().splitlines()
    assert len(rows) == 2 and "token_removed" in rows[1]


def test_it_exports_the_backups_the_list_shows_filtered_sorted_and_paged(sandbox, operator_client):
    fragment = operator_client.get(
        "/backups/",
        {"q": "Automatic", "backup_type": "automatic", "sort": "created", "page": 2},
        headers={**HTMX, "HX-Target": "results"},
    )
    assert "51–90 of 90" in text(fragment)
    export = next(u for _k, u, _t, _a in links_of(text(fragment)) if "export.csv" in u)
    assert query_of(export) == {
        "q": ["Automatic"],
        "backup_type": ["automatic"],
        "sort": ["created"],
    }
    rows = b"".join(operator_client.get(export).streaming_content).decode().splitlines()
    assert rows[0].startswith("backup id,server id,server,type,status,size (MB)")
    assert len(rows) == 1 + 90
    assert all(",automatic," in row for row in rows[1:])
    taken = [row.split(",")[6] for row in rows[1:]]
    assert taken == sorted(taken)  # in the list's order: oldest first


# Back to the exact list after a change, and after its Cancel ------------------------------


def link_with(page: str, part: str) -> str:
    return next(unescape(u) for kind, u, _t, _a in links_of(page) if kind == "href" and part in u)


def cancel_of(page: str) -> str:
    return unescape(re.search(r'<a href="([^"]+)">Cancel</a>', page)[1])


def test_it_returns_to_the_exact_list_after_a_change_and_its_cancel(sandbox, operator_client):
    listed = "/backups/?q=Automatic&backup_type=automatic&sort=created&page=2"
    page = text(operator_client.get(listed))
    assert "51–90 of 90" in page
    for part in ("/restore/", "/delete/"):  # Restore, then Delete, of a row of page 2
        confirm_url = link_with(page, part)
        assert query_of(confirm_url)["back"] == [listed]
        confirm = text(operator_client.get(confirm_url))
        assert cancel_of(confirm) == listed
        assert f'name="back" value="{escape(listed)}"' in confirm
    restore_url = link_with(page, "/restore/")
    backup_id = query_of(restore_url)["backup_id"][0]
    server = restore_url.split("/")[2]
    name = sandbox.state.servers[int(server)].name
    done = operator_client.post(
        f"/servers/{server}/restore/", {"backup_id": backup_id, "confirm": name, "back": listed}
    )
    assert done["Location"] == listed
    delete_url = link_with(page, "/delete/")
    done = operator_client.post(urlsplit(delete_url).path, {"back": listed})
    assert done["Location"] == listed

    servers = "/servers/?sort=name&q=server"
    row_create = link_with(text(operator_client.get(servers)), "/backups/new/")
    assert query_of(row_create)["back"] == [servers]
    create = text(operator_client.get(row_create))
    assert cancel_of(create) == servers
    done = operator_client.post("/backups/new/", {"server_id": 12345, "back": servers})
    assert done["Location"] == servers
    for hostile in ("//evil.example/backups/", "https://evil.example/backups/", "/audit/"):
        done = operator_client.post("/backups/new/", {"server_id": 12345, "back": hostile})
        assert done["Location"] == "/backups/?server_id=12345", hostile


def test_it_tells_a_person_without_a_role_to_ask_and_links_only_what_they_may_open(
    sandbox, client, outsider
):
    signed_in = client.post("/accounts/login/", {"username": "otto", "password": PASSWORD})
    landing = client.get(signed_in["Location"])
    assert landing.status_code == 403
    assert "Your account has no role yet: ask an operator." in text(landing)
    seen, queue = set(), [signed_in["Location"]]
    while queue:
        page = text(client.get(queue.pop()))
        for kind, url, _t, _a in links_of(page):
            path = urldefrag(urljoin("/", unescape(url)))[0]
            if kind != "href" or url.startswith("#") or path in seen or "/static/" in path:
                continue
            seen.add(path)
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.status_code)
            if answer["Content-Type"].startswith("text/html"):
                queue.append(path)
    assert "/account/token/" in seen and "/audit/" in seen
    assert not any(path.startswith(("/backups/", "/servers/", "/jobs/")) for path in seen)


def test_it_backs_up_a_server_chosen_by_name_and_asks_before_a_second_one(sandbox, operator_client):
    servers = "/servers/?sort=name"
    new_backup = link_with(text(operator_client.get(servers)), "/backups/new/?server_id=12346")
    form = text(operator_client.get(new_backup))
    assert 'value="db-server-02 (#12346)"' in form  # the name, before anything is created
    assert '<option value="web-server-01 (#12345)"></option>' in form  # searchable by name
    sandbox.state.config.completion_delay = 3600
    sent = {"server_id": "db-server-02 (#12346)", "back": servers}
    assert operator_client.post("/backups/new/", sent)["Location"] == servers
    running = max(sandbox.state.backups)
    listed = text(operator_client.get("/backups/?server_id=12346"))
    assert "Back up now" in listed and 'name="ask" value="running"' in listed
    asked = operator_client.post("/backups/new/", {"server_id": 12346, "ask": "running"})
    assert asked.status_code == 409  # one is running: the button asks first
    assert f"Backup {running} of <bdi>db-server-02</bdi> is running already" in text(asked)
    assert max(sandbox.state.backups) == running
    again = {"server_id": 12346, "again": "on"}
    assert operator_client.post("/backups/new/", again).status_code == 302
    assert max(sandbox.state.backups) > running


def test_it_updates_the_heading_when_a_server_is_chosen_in_the_dropdown(sandbox, operator_client):
    response = operator_client.get(
        "/backups/", {"server_id": 12346}, headers={**HTMX, "HX-Target": "results"}
    )
    body = text(response)
    assert '<div class="page-head" id="page-head" hx-swap-oob="true">' in body
    assert "<h1><bdi>db-server-02</bdi>" in body and "Back up now" in body
    assert "New backup" not in body
    assert "<title" not in body and 'data-title="db-server-02 · backupsui"' in body
    whole = text(operator_client.get("/backups/", {"server_id": 12346}))
    assert "<h1><bdi>db-server-02</bdi>" in whole and "Back up now" in whole


# The crawler -----------------------------------------------------------------------------


@pytest.fixture
def crowded(sandbox, operator, django_user_model):
    """Failed and running backups, and more audit events than one page holds."""
    failing = [b for b in sandbox.state.backups.values() if b.server.account == "acme"][:5]
    for backup in failing:
        sandbox.state.fail_backup(backup.id)
    sandbox.state.config.completion_delay = 3600
    sandbox.state.create_backup("acme", 12345, "running while we look")
    for number in range(70):
        note(
            None,
            Action.BACKUP_REQUESTED,
            Outcome.REFUSED if number % 2 else Outcome.ACCEPTED,
            actor_username="olivia",
            server_id=12345,
            server_name="web-server-01",
        )
    return sandbox


STARTS = [
    "/backups/?backup_type=automatic&q=Automatic&sort=-size",
    "/backups/?status=completed&sort=server&server_id=12345",
    "/audit/?action=backup_requested&server_id=12345&user=olivia",
    "/audit/?outcome=refused&signins=on&since=2000-01-01",
]


@pytest.mark.parametrize("role", ["Support", "Operators", "Auditors"])
def test_it_crawls_every_link_without_a_server_error_and_keeps_filters(
    crowded, django_user_model, role
):
    token = OPERATOR_TOKEN if role == "Operators" else SUPPORT_TOKEN
    user = make_user(django_user_model, f"crawler-{role.lower()}", role, token)
    client = FormClient()
    client.force_login(user)
    seen: set[str] = set()
    broken, lost = [], []
    fetched: dict[str, str] = {}  # every page and fragment, for html-validate
    frontier = [(url, None) for url in STARTS]
    for depth in range(3):
        following = []
        for url, target in frontier:
            key = f"{url} {target}"
            if key in seen or len(seen) > 800:
                continue
            seen.add(key)
            headers = {**HTMX, "HX-Target": target.lstrip("#")} if target else {}
            response = client.get(url, headers=headers)
            if response.status_code >= 500:
                broken.append((url, response.status_code))
            if response.streaming or "html" not in response.get("Content-Type", ""):
                continue
            fetched[key] = text(response)
            for kind, link, hx_target, attributes in links_of(text(response)):
                absolute = urldefrag(urljoin(url, link)).url
                parts = urlsplit(absolute)
                if (
                    parts.netloc
                    or not parts.path.startswith("/")
                    or parts.path == "/accounts/logout/"
                ):
                    continue
                if is_pager_or_export(attributes, absolute) and not keeps_filters(url, absolute):
                    lost.append((url, link))
                if depth < 2:
                    following.append((absolute, hx_target if kind == "hx-get" else None))
        frontier = following
    assert broken == []
    assert lost == []
    assert len(seen) > 30  # it did crawl
    assert html_check.problems(fetched) == []
