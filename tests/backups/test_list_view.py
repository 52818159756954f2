"""The list: sorted on our side, filtered, paged, over real HTTP to the sandbox."""

import json
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import responses
from django.test import override_settings

from backupsui.accounts.models import ApiToken
from backupsui.backups.cache import list_cache
from backupsui.backups.lists import memory
from backupsui.upstream import breaker
from tests.conftest import OPERATOR_TOKEN
from tests.helpers import row_ids, text


def test_it_shows_the_documents_three_backups_newest_first(document_sandbox, operator_client):
    response = operator_client.get("/backups/")
    assert response.status_code == 200
    assert row_ids(response) == [501, 495, 499]
    body = text(response)
    assert "web-server-01" in body and "4.5 GB" in body and "never" in body
    assert "1–3 of 3" in body


def test_it_sorts_by_every_column(document_sandbox, operator_client):
    def ids(sort):
        return row_ids(operator_client.get("/backups/", {"sort": sort}))

    assert ids("created") == [499, 495, 501]
    assert ids("-size") == [501, 499, 495]
    assert ids("size") == [495, 499, 501]
    assert ids("server") == [501, 495, 499]
    assert ids("nonsense") == [501, 495, 499]


def test_it_filters_by_type_status_and_text(document_sandbox, operator_client):
    assert row_ids(operator_client.get("/backups/", {"backup_type": "manual"})) == [499]
    assert row_ids(operator_client.get("/backups/", {"q": "PRE-UPDATE"})) == [499]
    assert row_ids(operator_client.get("/backups/", {"q": "web-server"})) == [501, 495, 499]
    assert row_ids(operator_client.get("/backups/", {"status": "in_progress"})) == []
    assert "No backups match" in text(operator_client.get("/backups/", {"q": "zzz"}))


def test_it_filters_by_server_and_type_on_its_side(sandbox, operator_client):
    response = operator_client.get("/backups/", {"server_id": 12346, "backup_type": "automatic"})
    body = text(response)
    assert response.status_code == 200
    assert "1–30 of 30" in body
    assert "db-server-02" in body and "web-server-01</a>" not in body
    assert "Back up now" in body


def test_it_pages_fifty_at_a_time(sandbox, operator_client):
    first = operator_client.get("/backups/")
    assert "1–50 of 96" in text(first) and len(row_ids(first)) == 50
    second = operator_client.get("/backups/", {"page": 2})
    assert "51–96 of 96" in text(second) and len(row_ids(second)) == 46
    assert not set(row_ids(first)) & set(row_ids(second))
    assert row_ids(operator_client.get("/backups/", {"page": 99})) == row_ids(second)


def test_it_answers_htmx_with_the_results_fragment_only(document_sandbox, operator_client):
    response = operator_client.get(
        "/backups/", {"q": "auto"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    body = text(response)
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body and row_ids(response) == [501, 495]


def test_it_shows_a_bad_filter_beside_the_filters_and_ignores_it(document_sandbox, operator_client):
    response = operator_client.get("/backups/", {"server_id": "abc", "page": "-1"})
    assert response.status_code == 200
    assert "Enter a whole number" in text(response)
    assert row_ids(response) == [501, 495, 499]


def test_it_sends_a_user_without_a_token_to_the_token_page(db, client, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("newbie")
    user.groups.add(Group.objects.get(name="Support"))
    client.force_login(user)
    response = client.get("/backups/?server_id=5")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/token/?next=")
    assert "Store your API token first" in text(client.get(response["Location"]))


def test_it_redirects_the_root_to_the_list(client):
    assert client.get("/")["Location"] == "/backups/"


# Odd but valid upstream answers, through the whole view ----------------------------------

ODD = {
    "count": 3,
    "results": [
        {
            "id": 1,
            "server": {"id": 7, "name": "a"},
            "backup_type": "manual",
            "status": "failed",
            "size_mb": None,
            "created_at": "2025-01-01T00:00:00Z",
            "expires_at": None,
        },
        {
            "id": 2,
            "server": {"id": 7, "name": "a"},
            "backup_type": "weekly",
            "status": "deleting",
            "size_mb": 10,
            "created_at": "2025-01-03T00:00:00Z",
            "expires_at": None,
            "description": None,
            "region": "eu",
        },
        {
            "id": 3,
            "server": {"id": 7, "name": "a"},
            "backup_type": "manual",
            "status": "in_progress",
            "size_mb": None,
            "created_at": "2025-01-02T00:00:00Z",
            "expires_at": None,
            "description": "<script>alert(1)</script>",
        },
    ],
}


@override_settings(BACKUPS_API_URL="http://backups.test/api/v1")
@responses.activate
def test_it_renders_unknown_statuses_nulls_and_hostile_text_safely(operator_client):
    responses.get("http://backups.test/api/v1/backups/", json=ODD)
    response = operator_client.get("/backups/")
    body = text(response)
    assert row_ids(response) == [2, 3, 1]
    assert "badge-other" in body and "deleting" in body
    assert "Failed" in body and "In progress" in body
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert OPERATOR_TOKEN not in body


@override_settings(BACKUPS_API_URL="http://backups.test/api/v1")
@responses.activate
def test_it_explains_a_refused_token_with_a_link(operator_client):
    responses.get("http://backups.test/api/v1/backups/", status=401, body=b"")
    response = operator_client.get("/backups/")
    body = text(response)
    assert response.status_code == 502
    assert "Your API token was refused" in body and 'href="/account/token/"' in body
    assert "Try again" in body


@override_settings(BACKUPS_API_URL="http://backups.test/api/v1")
@responses.activate
def test_it_explains_an_html_error_page_from_a_proxy(operator_client):
    responses.get(
        "http://backups.test/api/v1/backups/",
        status=502,
        body=b"<html><h1>Bad gateway</h1></html>",
        content_type="text/html",
    )
    response = operator_client.get("/backups/")
    body = text(response)
    assert response.status_code == 502
    assert "unavailable" in body and "Bad gateway" not in body and "Try again" in body


def test_it_shows_when_a_backup_expires(document_sandbox, operator_client, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: datetime(2025, 2, 14, 3, tzinfo=UTC))
    body = text(operator_client.get("/backups/"))
    assert 'class="soon"' in body and "in 1\xa0day" in body and "never" in body


def test_it_tells_htmx_to_navigate_to_the_token_page(db, client, django_user_model):
    from tests.conftest import make_user

    client.force_login(make_user(django_user_model, "newbie", "Support"))
    response = client.get("/backups/?q=x", headers={"HX-Request": "true", "HX-Target": "results"})
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/account/token/?next=")


@pytest.mark.parametrize(
    ("left", "words", "near"),
    [
        (timedelta(days=12, hours=5), "in 12\xa0days", False),
        (timedelta(days=29, hours=1), "in 29\xa0days", False),
        (timedelta(days=60, hours=1), "in 60\xa0days", False),
        (timedelta(days=4, hours=1), "in 4\xa0days", False),
        (timedelta(days=3, hours=23), "in 3\xa0days", True),
        (timedelta(days=1, minutes=1), "in 1\xa0day", True),
        (timedelta(hours=5, minutes=2), "in 5\xa0hours", True),
        (timedelta(minutes=7, seconds=3), "in 7\xa0minutes", True),
        (timedelta(days=75), "in 2\xa0months", False),
        (timedelta(seconds=-1), "expired", False),
    ],
)
def test_it_words_an_expiry_in_days_and_highlights_what_it_calls_near(left, words, near):
    from backupsui.backups.presenters import until

    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    assert until(now + left, now) == (words, near)


def test_it_names_the_time_zone_of_list_dates(document_sandbox, operator_client, settings):
    settings.TIME_ZONE = "Pacific/Apia"
    body = text(operator_client.get("/backups/"))
    assert "2025-01-16 16:00 +13" in body  # 03:00 UTC in Apia, zone named


def test_it_puts_backups_without_a_size_last_smallest_first(document_sandbox, operator_client):
    document_sandbox.state.config.completion_delay = 3600
    running = document_sandbox.state.create_backup("acme", 12345, "no size yet")
    smallest_first = row_ids(operator_client.get("/backups/", {"sort": "size"}))
    largest_first = row_ids(operator_client.get("/backups/", {"sort": "-size"}))
    assert smallest_first == [495, 499, 501, running["id"]]
    assert largest_first == [501, 499, 495, running["id"]]


def test_it_counts_sizes_in_one_decimal_unit_family():
    from backupsui.backups.presenters import size_text

    assert [size_text(mb) for mb in (999, 1000, 4523, 1_500_000)] == [
        "999 MB",
        "1.0 GB",
        "4.5 GB",
        "1.5 TB",
    ]


# An old list, and the API not answering behind it -----------------------------------------


def wait_until(condition, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.mark.django_db(transaction=True)
@override_settings(
    BACKUPS_API_URL="http://backups.test/api/v1", BACKUPS_CACHE_SECONDS=5, BACKUPS_STALE_SECONDS=60
)
@responses.activate
def test_it_says_when_an_old_list_is_from_and_that_the_api_did_not_answer_until_it_does(
    operator_client, operator
):
    """The refresh behind the page fails in a thread of its own; the token's row says so, and
    every page (and its poll) says so until a refresh succeeds."""
    url = "http://backups.test/api/v1/backups/"
    answer = responses.get(url, json=ODD)
    assert "As of" not in text(operator_client.get("/backups/"))
    key = (operator.api_token.pk, operator.api_token.lists_version)
    memory.recall(key).fetched -= 20  # the list is now 20 s old
    answer.status, answer.body = 503, b"down"

    first = text(operator_client.get("/backups/"))  # the old list at once, refreshed behind
    assert "As of 20 s ago: a newer list is on its way." in first and row_ids_of(first) == [2, 3, 1]
    token = ApiToken.objects.filter(pk=key[0])
    assert wait_until(lambda: token.get().list_failed_at is not None)

    for part in ({}, {"HX-Request": "true", "HX-Target": "results"}):  # the page, its poll
        body = text(operator_client.get("/backups/", headers=part))
        said = re.search(
            r"This list is from (\d\d:\d\d:\d\d UTC) \((\d+) s ago\): the Backups API did not "
            r"answer when asked for a newer one at (\d\d:\d\d:\d\d UTC) \(([^)]+)\)\. Trying "
            r"again\.",
            body,
        )
        assert said and 20 <= int(said[2]) <= 30, body
        # 503, or (after the client's retries) the breaker holding calls back for a while
        assert said[4] in (
            "it answered with an error",
            "calls are held back for a few seconds after repeated failures",
        )
        assert row_ids_of(body) == [2, 3, 1]  # still the old list
        assert 'hx-trigger="load delay:5s"' in body  # and it looks again
    assert token.get().list_failure in ("5xx", "paused") and token.get().list_failures >= 1

    answer.status, answer.body = 200, json.dumps(ODD).encode()
    assert wait_until(lambda: not list_cache._flights)  # no refresh under way
    breaker.reset()  # any pause the breaker took after the failures is over
    text(operator_client.get("/backups/"))  # the refresh behind this one succeeds
    assert wait_until(lambda: token.get().list_failed_at is None)
    assert wait_until(lambda: "As of" not in text(operator_client.get("/backups/")))
    body = text(operator_client.get("/backups/"))
    assert "did not answer" not in body and "This list is from" not in body


def row_ids_of(body: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="backup-(\d+)"', body)]


def test_it_says_what_kept_means_on_the_row_and_the_backups_page(sandbox, operator_client):
    automatic = next(
        b for b in sandbox.state.backups.values() if b.server.id == 12345 and b.expires_at
    )
    manual = next(
        b for b in sandbox.state.backups.values() if b.server.id == 12345 and b.expires_at is None
    )
    for backup in (automatic, manual):
        operator_client.post(f"/backups/{backup.id}/kept/", {"next": "/backups/"})
    expires = automatic.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    promise = "Kept by the panel (plans and bulk deletes skip it)"
    until = f"{promise}; the provider still expires it on {expires}."
    listed = text(operator_client.get("/backups/?server_id=12345&sort=created"))
    rows = dict(re.findall(r'<tr id="backup-(\d+)".*?(<td class="desc".*?</td>)', listed, re.S))
    assert 'class="badge badge-kept">kept</span>' in rows[str(automatic.id)]
    assert until in rows[str(automatic.id)]
    assert f"{promise}.</span>" in rows[str(manual.id)]
    assert "provider still expires" not in rows[str(manual.id)]
    page = text(operator_client.get(f"/backups/{automatic.id}/delete/"))
    assert until in page and "release it first" in page


def test_it_writes_the_exact_time_of_an_expiry_under_its_words(sandbox, operator_client):
    """Readable without a mouse: the exact time is on the page, not only in a title."""
    backup = next(
        b for b in sandbox.state.backups.values() if b.server.id == 12345 and b.expires_at
    )
    exact = backup.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    for url in ("/backups/?server_id=12345&sort=created", "/servers/"):
        page = text(operator_client.get(url))
        assert re.search(
            r'<span( class="soon")?>in [^<]+</span><br><span class="muted exact">', page
        )
        assert not re.search(r'<span( class="soon")? title="[^"]*">in ', page), url
    listed = text(operator_client.get("/backups/?server_id=12345&sort=created"))
    row = listed.split(f'id="backup-{backup.id}"')[1].split("</tr>")[0]
    assert f'<span class="muted exact">{exact}</span>' in row
