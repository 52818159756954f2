"""The panel stays calm and honest when the upstream misbehaves, over real sockets."""

import tracemalloc

import pytest

from backupsui.audit.models import Outcome
from tests.faults import FaultServer, bomb, closed_port
from tests.helpers import events, row_ids, text

SCENARIOS = {
    # scenario: (what the list page says, the create's audit outcome, what create says)
    "refused": ("could not be reached", Outcome.FAILED, "Nothing was changed"),
    "hang": ("did not answer in time", Outcome.UNKNOWN, "outcome is unknown"),
    "slow-body": ("did not answer in time", Outcome.UNKNOWN, "outcome is unknown"),
    "error-500": ("unavailable (HTTP 500)", Outcome.UNKNOWN, "outcome is unknown"),
    "bad-gateway": ("unavailable (HTTP 502)", Outcome.UNKNOWN, "outcome is unknown"),
    "rate-limited": ("busy (HTTP 429)", Outcome.FAILED, "nothing was changed"),
    "bad-json": ("cannot read", Outcome.UNKNOWN, "outcome is unknown"),
    "wrong-shape": ("cannot read", Outcome.UNKNOWN, "outcome is unknown"),
    "reset": ("could not be reached", Outcome.UNKNOWN, "outcome is unknown"),
}


@pytest.fixture(scope="module")
def faults():
    with FaultServer() as server:
        yield server


@pytest.fixture
def upstream(settings, faults):
    settings.BACKUPS_API_TIMEOUT = 0.5
    settings.BACKUPS_API_CONNECT_TIMEOUT = 0.5

    def point_at(scenario):
        if scenario == "refused":
            settings.BACKUPS_API_URL = f"http://127.0.0.1:{closed_port()}/api/v1"
        else:
            settings.BACKUPS_API_URL = faults.api(scenario)

    return point_at


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_it_explains_the_fault_on_the_list_page(operator_client, upstream, scenario):
    upstream(scenario)
    says = SCENARIOS[scenario][0]
    response = operator_client.get("/backups/")
    assert response.status_code == 502
    assert says in text(response) and "Try again" in text(response)
    assert "Traceback" not in text(response)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_it_records_the_fault_of_a_create(operator_client, upstream, scenario):
    upstream(scenario)
    _, outcome, says = SCENARIOS[scenario]
    response = operator_client.post("/backups/new/", {"server_id": 12345})
    assert response.status_code == 502
    assert says.lower() in text(response).lower()
    [event] = events("backup_requested")
    assert event.outcome == outcome and event.finished_at is not None


def test_it_survives_a_token_revoked_mid_session(operator_client, upstream, faults):
    faults.revoked_after = 1
    upstream("token-revoked")
    assert operator_client.get("/backups/?server_id=12345").status_code == 200
    response = operator_client.post(
        "/servers/12345/restore/", {"backup_id": 501, "confirm": "web-server-01"}
    )
    assert response.status_code == 502
    assert "Your API token was refused" in text(response)
    assert 'href="/account/token/"' in text(response)
    [event] = events("restore_requested")
    assert event.outcome == Outcome.REFUSED and event.upstream_status == 401


def test_it_retries_a_rate_limited_list_honouring_retry_after(
    operator_client, upstream, faults, settings, monkeypatch
):
    from backupsui.upstream import client

    waits = []
    monkeypatch.setattr(client.time, "sleep", waits.append)
    upstream("rate-limited")
    settings.BACKUPS_API_TIMEOUT = 10  # room for three waits of Retry-After: 1
    before = len([s for s in faults.seen if s[0] == "rate-limited" and s[1] == "GET"])
    operator_client.get("/backups/")
    after = len([s for s in faults.seen if s[0] == "rate-limited" and s[1] == "GET"])
    assert after - before == 4  # the first try and three retries
    assert waits == [1.0, 1.0, 1.0]


def test_it_never_retries_a_failing_create(operator_client, upstream, faults):
    upstream("bad-gateway")
    before = [s for s in faults.seen if s[0] == "bad-gateway" and s[1] == "POST"]
    operator_client.post("/backups/new/", {"server_id": 12345})
    after = [s for s in faults.seen if s[0] == "bad-gateway" and s[1] == "POST"]
    assert len(after) - len(before) == 1


# Bounded reads, no storms, honest outcomes, paged answers ------------------------------------


def count(faults, scenario, method="GET"):
    return sum(1 for seen in faults.seen if seen[0] == scenario and seen[1] == method)


@pytest.mark.parametrize("scenario", ["huge", "gzip-bomb"])
def test_it_abandons_a_body_past_the_bound_without_growing_past_it(
    operator_client, upstream, settings, scenario
):
    settings.BACKUPS_API_MAX_MB = 8
    settings.BACKUPS_API_TIMEOUT = 10
    upstream(scenario)
    bomb()  # the test server's own 300 MB, made before the measuring starts
    tracemalloc.start()
    try:
        response = operator_client.get("/backups/")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 502
    assert "more than 8 MB" in text(response)
    assert peak < 12 * 2**20, f"{peak / 2**20:.1f} MB"


def test_it_stops_calling_an_upstream_that_is_down(operator_client, upstream, faults, monkeypatch):
    """A minute of pages, one a second on the breaker's clock: after three failures only one
    probe per pause reaches the upstream."""
    from backupsui.upstream import breaker, client

    clock = [1000.0]
    monkeypatch.setattr(breaker, "now", lambda: clock[0])
    monkeypatch.setattr(client.time, "sleep", lambda seconds: None)
    upstream("down")
    before = count(faults, "down")
    pages = []
    for _second in range(60):
        pages.append(operator_client.get("/backups/"))
        clock[0] += 1
    assert {page.status_code for page in pages} == {502}
    assert "Nothing was changed" in text(pages[-1])
    # Three failures (each page's retries count), then a probe every PAUSE_SECONDS.
    assert count(faults, "down") - before <= 3 + 60 / breaker.PAUSE_SECONDS + 1


def test_it_is_ready_while_the_upstream_is_down(db, client, upstream, faults):
    upstream("down")
    before = len(faults.seen)
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json() == {"database": "ok"}
    assert len(faults.seen) == before  # it never asked


@pytest.mark.parametrize("change", ["create", "delete", "restore"])
def test_it_calls_an_unreadable_success_unknown(operator_client, upstream, change):
    upstream("unreadable")
    if change == "create":
        response = operator_client.post("/backups/new/", {"server_id": 12345})
    elif change == "delete":
        response = operator_client.post("/backups/501/delete/")
    else:
        response = operator_client.post(
            "/servers/12345/restore/", {"backup_id": 501, "confirm": "web-server-01"}
        )
    assert response.status_code == 502
    assert "outcome is unknown" in text(response)
    [event] = [e for e in events() if e.action != "sign_in"]
    assert event.outcome == Outcome.UNKNOWN


def test_it_lists_every_page_of_a_paged_answer(operator_client, upstream, faults):
    upstream("paged")
    response = operator_client.get("/backups/")
    assert response.status_code == 200
    assert "1–12 of 12" in text(response)
    assert sorted(row_ids(response)) == sorted(p * 100 + n for p in (1, 2, 3) for n in range(4))
    assert count(faults, "paged") >= 3


def test_it_says_when_the_api_sent_fewer_than_it_counted(operator_client, upstream):
    upstream("short")
    body = text(operator_client.get("/backups/"))
    assert "Showing 1 of 7: the API returned fewer backups than it counted." in body
