"""The panel stays calm and honest when the upstream misbehaves, over real sockets."""

import pytest

from backupsui.audit.models import Outcome
from tests.faults import FaultServer, closed_port
from tests.helpers import events, text

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
