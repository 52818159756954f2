"""The audit page's filters that cannot be read are refused, saying which and why, and show no
event (never every event): on the page (400), in the fragment htmx swaps (200, or it would not
show) and for the CSV export; "from" works as the From field's word in an address; a backup's
size is written as the lists write it."""

import re

import pytest

from backupsui.audit.models import Action, Outcome
from backupsui.audit.recorder import note
from tests.helpers import body_of, text

HTMX = {"HX-Request": "true", "HX-Target": "audit-results"}


@pytest.fixture
def events(operator):
    for server_id in (12345, 12346):
        note(
            None,
            Action.BACKUP_DELETED,
            Outcome.ACCEPTED,
            actor_username="olivia",
            server_id=server_id,
            server_name=f"server-{server_id}",
            backup_id=500 + server_id % 10,
            backup_size_mb=7415,
        )


def rows(response) -> int:
    return len(re.findall(r'<tr id="event-\d+">', text(response)))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"server_id": "abc"}, "Server id: Enter a whole number."),
        ({"since": "2026-13-45"}, "From: Enter a valid date."),
        ({"from": "2026-13-45"}, "From: Enter a valid date."),
        ({"until": "yesterday", "action": "backup_deleted"}, "Until: Enter a valid date."),
        ({"action": "exploded"}, "Action: Select a valid choice."),
        ({"run": "x"}, "Backup plan run: Enter a whole number."),
    ],
)
def test_it_refuses_a_filter_it_cannot_read_and_shows_no_event(
    operator_client, events, query, said
):
    assert rows(operator_client.get("/audit/")) == 2
    page = operator_client.get("/audit/", query)
    assert page.status_code == 400
    assert "These filters cannot be read, so no events are shown:" in text(page)
    assert said in text(page)
    assert rows(page) == 0 and "No events match." in text(page)
    part = operator_client.get("/audit/", query, headers=HTMX)
    assert part.status_code == 200 and said in text(part) and rows(part) == 0
    export = operator_client.get("/audit/export.csv", query)
    assert export.status_code == 400 and said in text(export)
    assert not export.get("Content-Type", "").startswith("text/csv")


@pytest.mark.django_db
def test_it_takes_from_as_the_from_fields_word(operator_client, events):
    assert rows(operator_client.get("/audit/", {"from": "2999-01-01"})) == 0
    assert rows(operator_client.get("/audit/", {"from": "2000-01-01"})) == 2
    assert rows(operator_client.get("/audit/", {"server_id": "12345"})) == 1
    assert "server-12345" in body_of(
        operator_client.get("/audit/export.csv", {"from": "2000-01-01"})
    )


@pytest.mark.django_db
def test_it_only_starts_over_at_the_first_page_for_a_page_that_is_not_one(operator_client, events):
    page = operator_client.get("/audit/", {"page": "abc"})
    assert page.status_code == 200 and rows(page) == 2
    assert "cannot be read" not in text(page)


@pytest.mark.django_db
def test_it_writes_a_backups_size_as_the_list_does(operator_client, events):
    page = text(operator_client.get("/audit/"))
    assert page.count(" · 7.4 GB") == 2 and "7415 MB" not in page
