"""The sandbox against every line of backups-api.md, over real HTTP on loopback."""

from datetime import UTC, datetime, timedelta

import pytest
import requests

from backupsui.sandbox.app import page_url
from backupsui.sandbox.server import SandboxServer, require_loopback
from backupsui.sandbox.state import SandboxConfig, SandboxState, add_month
from tests.conftest import OPERATOR_TOKEN, OTHER_TOKEN, TOKENS, start_sandbox

AUTH = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


@pytest.fixture
def api():
    server = start_sandbox(servers=2, completion_delay=0.3, restore_delay=0.3)
    yield server
    server.stop()


def get(api, path, token=OPERATOR_TOKEN, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(api.url + path, headers=headers, timeout=5, **kwargs)


def post(api, path, body=None, raw=None, token=OPERATOR_TOKEN):
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return requests.post(api.url + path, json=body, data=raw, headers=headers, timeout=5)


def test_it_lists_in_the_documented_shape(api):
    response = get(api, "/backups/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["results"]) == 2 * (30 + 2)
    first = body["results"][0]
    assert set(first) >= {
        "id",
        "server",
        "backup_type",
        "status",
        "size_mb",
        "created_at",
        "expires_at",
        "description",
    }
    assert set(first["server"]) == {"id", "name"}
    assert first["status"] in ("completed", "in_progress")


def test_it_refuses_a_missing_or_wrong_token_with_401_everywhere(api):
    for token in (None, "wrong-token"):
        assert get(api, "/backups/", token=token).status_code == 401
        assert post(api, "/backups/", {"server_id": 12345}, token=token or "").status_code == 401
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        assert (
            requests.delete(api.url + "/backups/1/", headers=headers, timeout=5).status_code == 401
        )
        assert (
            post(api, "/servers/12345/restore/", {"backup_id": 1}, token=token or "").status_code
            == 401
        )


def test_it_filters_by_server_and_type(api):
    by_server = get(api, "/backups/", params={"server_id": 12346}).json()["results"]
    assert by_server and {b["server"]["id"] for b in by_server} == {12346}
    manual = get(api, "/backups/", params={"backup_type": "manual"}).json()["results"]
    assert manual and {b["backup_type"] for b in manual} == {"manual"}
    assert all(b["expires_at"] is None for b in manual)
    assert get(api, "/backups/", params={"server_id": "abc"}).status_code == 400
    assert get(api, "/backups/", params={"backup_type": "weekly"}).status_code == 400


def test_it_keeps_daily_automatic_backups_at_3am_for_a_month(api):
    automatic = get(
        api, "/backups/", params={"backup_type": "automatic", "server_id": 12345}
    ).json()["results"]
    assert len(automatic) == 30
    for backup in automatic:
        created = datetime.fromisoformat(backup["created_at"])
        assert (created.hour, created.minute) == (3, 0)
        assert datetime.fromisoformat(backup["expires_at"]) == add_month(created)
        assert backup["description"] == "Automatic daily backup"


def test_it_does_not_sort_its_results(api):
    created = [b["created_at"] for b in get(api, "/backups/").json()["results"]]
    assert created != sorted(created) and created != sorted(created, reverse=True)


def test_it_creates_a_manual_backup_that_completes_after_the_delay(api):
    response = post(api, "/backups/", {"server_id": 12345, "description": "Pre-deployment"})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "in_progress" and body["size_mb"] is None
    assert body["backup_type"] == "manual" and body["expires_at"] is None
    assert body["server"] == {"id": 12345, "name": "web-server-01"}
    assert body["description"] == "Pre-deployment" and "message" in body
    api.state.clock = lambda: datetime.now(UTC) + timedelta(seconds=1)
    listed = {
        b["id"]: b for b in get(api, "/backups/", params={"server_id": 12345}).json()["results"]
    }
    assert listed[body["id"]]["status"] == "completed"
    assert listed[body["id"]]["size_mb"] > 0


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{not json", "detail"),
        (b"[1, 2]", "detail"),
        (b"{}", "server_id"),
        (b'{"server_id": "12345"}', "server_id"),
        (b'{"server_id": true}', "server_id"),
        (b'{"server_id": 12345, "description": "' + b"x" * 256 + b'"}', "description"),
        (b'{"server_id": 12345, "description": 7}', "description"),
    ],
)
def test_it_answers_400_to_bad_create_requests(api, raw, field):
    response = post(api, "/backups/", raw=raw)
    assert response.status_code == 400
    assert field in response.json()


def test_it_answers_404_for_unknown_servers_and_other_accounts_servers(api):
    assert post(api, "/backups/", {"server_id": 999}).status_code == 404
    other_server = get(api, "/backups/", token=OTHER_TOKEN).json()["results"][0]["server"]["id"]
    assert post(api, "/backups/", {"server_id": other_server}).status_code == 404
    assert get(api, "/backups/", params={"server_id": other_server}).json()["count"] == 0


def test_it_deletes_with_204_then_404(api):
    backup_id = get(api, "/backups/").json()["results"][0]["id"]
    first = requests.delete(f"{api.url}/backups/{backup_id}/", headers=AUTH, timeout=5)
    assert first.status_code == 204 and first.content == b""
    again = requests.delete(f"{api.url}/backups/{backup_id}/", headers=AUTH, timeout=5)
    assert again.status_code == 404
    ids = {b["id"] for b in get(api, "/backups/").json()["results"]}
    assert backup_id not in ids


def test_it_hides_another_accounts_backup_behind_404(api):
    theirs = get(api, "/backups/", token=OTHER_TOKEN).json()["results"][0]["id"]
    assert (
        requests.delete(f"{api.url}/backups/{theirs}/", headers=AUTH, timeout=5).status_code == 404
    )


def test_it_restores_with_202_and_marks_the_server_restoring(api):
    backup = get(api, "/backups/", params={"server_id": 12345}).json()["results"][0]
    response = post(api, "/servers/12345/restore/", {"backup_id": backup["id"]})
    assert response.status_code == 202
    assert response.json()["server"]["status"] == "restoring"
    assert api.state.servers[12345].status == "restoring"
    api.state.clock = lambda: datetime.now(UTC) + timedelta(seconds=1)
    get(api, "/backups/")
    assert api.state.servers[12345].status == "active"


def test_it_refuses_impossible_restores(api):
    backup = get(api, "/backups/", params={"server_id": 12345}).json()["results"][0]
    assert post(api, "/servers/12346/restore/", {"backup_id": backup["id"]}).status_code == 400
    assert post(api, "/servers/999/restore/", {"backup_id": backup["id"]}).status_code == 404
    assert post(api, "/servers/12345/restore/", {"backup_id": 10**9}).status_code == 404
    assert post(api, "/servers/12345/restore/", {"backup_id": "x"}).status_code == 400


def test_it_answers_404_and_405_for_other_paths_and_methods(api):
    assert get(api, "/nothing/").status_code == 404
    response = requests.put(api.url + "/backups/", headers=AUTH, timeout=5)
    assert response.status_code == 405


def test_it_serves_the_documents_example():
    server = start_sandbox(document_example=True)
    try:
        body = get(server, "/backups/").json()
    finally:
        server.stop()
    assert body["count"] == 3
    assert [b["id"] for b in body["results"]] == [501, 499, 495]
    assert body["results"][1]["expires_at"] is None


def test_it_is_deterministic_from_its_seed():
    now = datetime(2026, 1, 10, 12, tzinfo=UTC)
    config = dict(accounts=dict(TOKENS), seed=7, servers=2)
    first = SandboxState(SandboxConfig(**config), clock=lambda: now)
    second = SandboxState(SandboxConfig(**config), clock=lambda: now)
    assert first.list_backups("acme", None, None) == second.list_backups("acme", None, None)


def test_it_can_hold_ten_thousand_backups():
    servers = SandboxConfig.servers_for(10_000)
    state = SandboxState(SandboxConfig(accounts={"t": "big"}, servers=servers))
    assert len(state.list_backups("big", None, None)) >= 10_000


def test_it_takes_the_next_daily_backup_and_drops_expired_ones():
    moment = [datetime(2026, 3, 1, 12, tzinfo=UTC)]
    state = SandboxState(
        SandboxConfig(accounts={"t": "a"}, servers=1, manual_per_server=0), clock=lambda: moment[0]
    )
    before = {b["id"] for b in state.list_backups("a", None, None)}
    moment[0] += timedelta(days=1)
    after = state.list_backups("a", None, None)
    newest = max(after, key=lambda b: b["created_at"])
    assert newest["id"] not in before and newest["created_at"] == "2026-03-02T03:00:00Z"
    assert len(after) == len(before)  # one taken, one expired


def test_it_never_listens_beyond_loopback():
    with pytest.raises(ValueError, match="loopback"):
        require_loopback("0.0.0.0")
    with pytest.raises(ValueError):
        SandboxServer(SandboxConfig(accounts={"t": "a"}), host="192.0.2.1")
    require_loopback("127.0.0.1")
    require_loopback("::1")


def test_it_seeds_only_finished_backups_taken_in_the_past():
    now = datetime(2026, 5, 1, 4, 0, tzinfo=UTC)
    state = SandboxState(SandboxConfig(accounts={"t": "a"}, servers=20), clock=lambda: now)
    backups = state.list_backups("a", None, None)
    assert {b["status"] for b in backups} == {"completed"}
    assert max(b["created_at"] for b in backups) <= "2026-05-01T04:00:00Z"


# Failed backups ----------------------------------------------------------------------------

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)


def world(clock=lambda: NOW, **config):
    config.setdefault("accounts", {"t": "a"})
    return SandboxState(SandboxConfig(**config), clock=clock)


def test_it_fails_a_seeded_share_of_automatic_backups_the_same_way_every_time():
    first = world(servers=10, failure_rate=0.2, seed=3).list_backups("a", None, None)
    again = world(servers=10, failure_rate=0.2, seed=3).list_backups("a", None, None)
    assert first == again
    failed = [b for b in first if b["status"] == "failed"]
    automatic = [b for b in first if b["backup_type"] == "automatic"]
    assert 0.1 * len(automatic) < len(failed) < 0.3 * len(automatic)
    for backup in failed:
        assert backup["backup_type"] == "automatic" and backup["size_mb"] is None
        assert datetime.fromisoformat(backup["expires_at"]) == add_month(
            datetime.fromisoformat(backup["created_at"])
        )
    assert all(b["status"] == "completed" for b in world(servers=10).list_backups("a", None, None))


def test_it_refuses_a_failure_rate_outside_zero_to_one():
    for rate in (-0.1, 1.5):
        with pytest.raises(ValueError, match="failure rate"):
            SandboxConfig(accounts={"t": "a"}, failure_rate=rate)


def test_it_fails_a_running_backup_at_once_and_never_completes_it_later():
    moment = [NOW]
    state = world(clock=lambda: moment[0], servers=1, completion_delay=60)
    created = state.create_backup("a", 12345, "before the upgrade")
    assert created["status"] == "in_progress"
    assert state.fail_backup(created["id"]) is True
    moment[0] += timedelta(hours=2)
    listed = {b["id"]: b for b in state.list_backups("a", 12345, None)}
    assert listed[created["id"]]["status"] == "failed"
    assert listed[created["id"]]["size_mb"] is None
    assert state.fail_backup(10**9) is False
    status, body = state.restore_server("a", 12345, created["id"])
    assert status == 400 and "failed" in body["backup_id"][0]


def test_it_fails_the_daily_backups_it_takes_later_at_the_same_rate():
    moment = [NOW]
    state = world(clock=lambda: moment[0], servers=1, manual_per_server=0, failure_rate=1.0)
    before = {b["id"] for b in state.list_backups("a", None, None)}
    moment[0] += timedelta(days=2)
    taken = [b for b in state.list_backups("a", None, None) if b["id"] not in before]
    assert [b["created_at"] for b in taken] == ["2026-05-02T03:00:00Z", "2026-05-03T03:00:00Z"]
    assert {b["status"] for b in taken} == {"failed"}


def test_it_builds_the_worlds_a_health_check_needs():
    moment = [NOW]
    state = world(clock=lambda: moment[0], servers=0, empty_servers=3, completion_delay=5)
    assert state.list_backups("a", None, None) == []
    stale = state.add_backup(12345, status="completed", created_at=NOW - timedelta(hours=30))
    broken = state.add_backup(12345, status="failed", created_at=NOW - timedelta(hours=9))
    running = state.add_backup(12346, status="in_progress", backup_type="manual")
    status = {b["id"]: b["status"] for b in state.list_backups("a", None, None)}
    assert status == {stale.id: "completed", broken.id: "failed", running.id: "in_progress"}
    listed = state.list_backups("a", 12345, None)
    assert [b["created_at"] for b in listed] == ["2026-04-30T06:00:00Z", "2026-05-01T03:00:00Z"]
    assert [b["size_mb"] is None for b in listed] == [False, True]
    moment[0] += timedelta(days=1)  # a server without backups gets no daily one either
    assert state.list_backups("a", 12347, None) == []
    with pytest.raises(ValueError):
        state.add_backup(999, status="completed")


def test_it_keeps_an_added_backup_running_until_it_is_due():
    moment = [NOW]
    state = world(clock=lambda: moment[0], servers=1)
    running = state.add_backup(12345, status="in_progress", completes_at=NOW + timedelta(hours=1))
    status = {b["id"]: b["status"] for b in state.list_backups("a", 12345, None)}
    assert status[running.id] == "in_progress"
    moment[0] += timedelta(hours=1)
    status = {b["id"]: b["status"] for b in state.list_backups("a", 12345, None)}
    assert status[running.id] == "completed"


# Paging ------------------------------------------------------------------------------------


@pytest.fixture
def paged():
    server = start_sandbox(servers=2, page_size=25)
    yield server
    server.stop()


def follow(api, url):
    """Every page from `url` on, by its next links."""
    pages = []
    while url:
        response = requests.get(url, headers=AUTH, timeout=5)
        assert response.status_code == 200
        pages.append(response.json())
        url = pages[-1]["next"]
    return pages


def test_it_pages_by_next_links_that_cover_the_list_once(paged):
    everything = paged.state.list_backups("acme", None, None)
    pages = follow(paged, paged.url + "/backups/")
    assert [len(p["results"]) for p in pages] == [25, 25, len(everything) - 50]
    assert {p["count"] for p in pages} == {len(everything)}
    ids = [b["id"] for p in pages for b in p["results"]]
    assert len(ids) == len(set(ids)) and set(ids) == {b["id"] for b in everything}
    assert pages[0]["next"] == paged.url + "/backups/?page=2"
    assert [p["previous"] for p in pages] == [
        None,
        paged.url + "/backups/",
        paged.url + "/backups/?page=2",
    ]
    created = [b["created_at"] for b in pages[0]["results"]]
    assert created != sorted(created) and created != sorted(created, reverse=True)


def test_it_keeps_the_filters_in_its_page_links(paged):
    paged.state.config.page_size = 10
    first = get(paged, "/backups/", params={"server_id": 12345, "backup_type": "automatic"})
    pages = follow(paged, first.url)
    assert [len(p["results"]) for p in pages] == [10, 10, 10]
    for page in pages[1:]:
        assert "server_id=12345" in page["previous"] and "backup_type=automatic" in page["previous"]
    for page in pages[:-1]:
        assert "server_id=12345" in page["next"] and "backup_type=automatic" in page["next"]
    backups = [b for p in pages for b in p["results"]]
    assert {(b["server"]["id"], b["backup_type"]) for b in backups} == {(12345, "automatic")}


def test_it_answers_404_for_a_page_that_is_not_there(paged):
    for page in ("0", "-1", "abc", "1.5", "4"):
        response = get(paged, "/backups/", params={"page": page})
        assert response.status_code == 404, page
        assert response.json() == {"detail": "Invalid page."}
    assert get(paged, "/backups/", params={"page": "3"}).json()["next"] is None
    empty = get(paged, "/backups/", params={"server_id": 999}).json()
    assert empty == {"count": 0, "next": None, "previous": None, "results": []}


def test_it_answers_one_page_without_links_when_paging_is_off(api):
    body = get(api, "/backups/", params={"page": "7"}).json()
    assert set(body) == {"count", "results"} and body["count"] == len(body["results"])


def test_it_builds_page_links_from_the_server_name_without_a_host_header():
    environ = {
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8001",
        "PATH_INFO": "/api/v1/backups/",
        "QUERY_STRING": "backup_type=manual&page=3",
    }
    assert page_url(environ, 4) == "http://127.0.0.1:8001/api/v1/backups/?backup_type=manual&page=4"
    assert page_url(environ, 1) == "http://127.0.0.1:8001/api/v1/backups/?backup_type=manual"


def test_it_runs_as_python_m_backupsui_sandbox_without_the_panels_settings():
    import os
    import subprocess
    import sys
    import time

    from tests.stack import ROOT, free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "BACKUPS"))}
    env.update(SANDBOX_TOKENS=f"{OPERATOR_TOKEN}=acme", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "backupsui.sandbox", "--port", str(port), "--servers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline, answer = time.monotonic() + 20, None
        while answer is None and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read()
            try:
                answer = requests.get(
                    f"http://127.0.0.1:{port}/api/v1/backups/",
                    headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
                    timeout=2,
                )
            except requests.ConnectionError:
                time.sleep(0.05)
        assert answer is not None and answer.status_code == 200
        assert answer.json()["count"] == len(answer.json()["results"]) > 0
    finally:
        process.terminate()
        out, _err = process.communicate(timeout=10)
    assert f"Sandbox Backups API at http://127.0.0.1:{port}" in out
