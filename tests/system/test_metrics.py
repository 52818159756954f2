"""/metrics: Prometheus' text format, read from the database (the servers' state the round
and the pages keep, jobs, the audit trail, the alerts' tallies), scraped here by the real
prometheus-client parser: every series, the right values for a sandbox world, 401 without the
bearer key, no page without a key configured, no upstream call while it answers, and the
same answer from two replicas."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.conf import settings as django_settings
from prometheus_client.parser import text_string_to_metric_families

from backupsui.alerts.models import Tally
from backupsui.audit import recorder
from backupsui.audit.models import Action
from backupsui.backups.models import ServerState
from backupsui.jobs.models import Job
from backupsui.plans.models import Plan, PlanRun
from tests.alerts.test_watch import run_round
from tests.stack import ROOT, Replica, production_env, stop_all

pytestmark = pytest.mark.django_db(transaction=True)
KEY = "scrape-key-for-tests-0001"
SERIES = {
    "backupsui_server_last_completed_backup_timestamp_seconds",
    "backupsui_server_health",
    "backupsui_server_failed_backups_7d",
    "backupsui_server_last_seen_timestamp_seconds",
    "backupsui_jobs",
    "backupsui_audit_events_unsettled",
    "backupsui_alerts_failed",
    "backupsui_worker_last_round_timestamp_seconds",
    "backupsui_lists_failing",
    "backupsui_list_fetch_failures",
}
PLAN_SERIES = {"backupsui_plan_last_run_timestamp_seconds", "backupsui_plan_last_run_ok"}


@pytest.fixture
def world(sandbox, operator, outsider, settings):
    """Two accounts seen by the round; one server bad (its last two days' backups failed),
    three jobs, one audit event still pending, two failed deliveries."""
    settings.BACKUPSUI_METRICS_TOKEN = KEY
    now = datetime.now(UTC)
    for backup in sandbox.state.backups.values():
        if backup.server.id == 12346 and backup.created_at > now - timedelta(hours=49):
            sandbox.state.fail_backup(backup.id)
    run_round()
    for state in ["done", "failed", "failed"]:
        Job.objects.create(user=operator, server_id=12345, backup_id=1, state=state)
    recorder.start(None, Action.BACKUP_REQUESTED, server_id=12345)
    Tally.add(Tally.ALERTS_FAILED, 2)
    return sandbox


def expected(sandbox) -> dict[int, dict]:
    now = datetime.now(UTC)
    wanted = {}
    for server in sandbox.state.servers.values():
        mine = [b for b in sandbox.state.backups.values() if b.server.id == server.id]
        done = [b for b in mine if b.status(now) == "completed"]
        newest = max(done, key=lambda b: b.created_at) if done else None
        age = now - newest.created_at if newest else None
        late, bad = timedelta(hours=26), timedelta(hours=48)
        health = "bad" if age is None or age >= bad else "late" if age >= late else "good"
        wanted[server.id] = {
            "name": server.name,
            "completed": newest.created_at.timestamp() if newest else 0.0,
            "failed": sum(
                1
                for b in mine
                if b.status(now) == "failed" and b.created_at >= now - timedelta(days=7)
            ),
            "health": health,
        }
    return wanted


def scrape(get) -> dict:
    answer = get("/metrics", HTTP_AUTHORIZATION=f"Bearer {KEY}")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/plain; version=0.0.4")
    return {f.name: f for f in text_string_to_metric_families(answer.content.decode())}


def test_it_says_every_series_with_the_right_values(world, client, monkeypatch):
    asked = []
    real = world.state.list_page  # what the sandbox's list answers are made from
    monkeypatch.setattr(world.state, "list_page", lambda *a: asked.append(1) or real(*a))
    families = scrape(client.get)
    assert asked == []  # the upstream is never called
    assert set(families) >= SERIES
    wanted = expected(world)
    assert wanted[12346]["health"] == "bad" and wanted[12346]["failed"] >= 1

    def by_server(name):
        return {int(s.labels["server_id"]): s for s in families[name].samples}

    completed = by_server("backupsui_server_last_completed_backup_timestamp_seconds")
    failed = by_server("backupsui_server_failed_backups_7d")
    seen = by_server("backupsui_server_last_seen_timestamp_seconds")
    assert set(completed) == set(failed) == set(seen) == set(wanted)
    for server_id, want in wanted.items():
        assert completed[server_id].labels["server"] == want["name"]
        assert completed[server_id].value == pytest.approx(want["completed"])
        assert failed[server_id].value == want["failed"]
        kept = ServerState.objects.get(server_id=server_id).last_seen_at.timestamp()
        assert seen[server_id].value == pytest.approx(kept)
    health = families["backupsui_server_health"].samples
    assert len(health) == 3 * len(wanted)
    current = {int(s.labels["server_id"]): s.labels["state"] for s in health if s.value == 1}
    assert current == {server_id: want["health"] for server_id, want in wanted.items()}
    jobs = {s.labels["state"]: s.value for s in families["backupsui_jobs"].samples}
    assert jobs == {state: {"done": 1, "failed": 2}.get(state, 0) for state in Job.State.values}
    assert families["backupsui_audit_events_unsettled"].samples[0].value == 1
    [failures] = families["backupsui_alerts_failed"].samples
    assert failures.name == "backupsui_alerts_failed_total" and failures.value == 2
    beat = families["backupsui_worker_last_round_timestamp_seconds"].samples[0].value
    assert beat == pytest.approx(Tally.objects.get(name=Tally.ROUND).at.timestamp())
    assert abs(beat - datetime.now(UTC).timestamp()) < 120


def test_it_counts_the_lists_the_api_did_not_give(client, settings, operator, support):
    """The failing lists (their pages say so) and the failed fetches, from the tokens' rows."""
    from backupsui.accounts.models import ApiToken

    settings.BACKUPSUI_METRICS_TOKEN = KEY

    def values():
        families = scrape(client.get)
        [failing] = families["backupsui_lists_failing"].samples
        [failed] = families["backupsui_list_fetch_failures"].samples
        return failing.value, failed.name, failed.value

    assert values() == (0, "backupsui_list_fetch_failures_total", 0)
    ApiToken.objects.filter(user=operator).update(
        list_failed_at=datetime.now(UTC), list_failure="timeout", list_failures=3
    )
    ApiToken.objects.filter(user=support).update(list_failures=2)  # failed, then answered
    assert values() == (1, "backupsui_list_fetch_failures_total", 5)


def test_it_says_each_plans_last_run_only_when_plans_exist(client, settings, operator):
    settings.BACKUPSUI_METRICS_TOKEN = KEY
    assert not set(scrape(client.get)) & PLAN_SERIES  # no plans, no plan series
    now = datetime.now(UTC).replace(microsecond=0)
    nightly = Plan.objects.create(owner=operator, name="Nightly")
    broken = Plan.objects.create(owner=operator, name='db "main"')
    Plan.objects.create(owner=operator, name="New")  # never run
    outcomes = PlanRun.Outcome
    done, failed, previewed = outcomes.DONE, outcomes.FAILED, outcomes.PREVIEWED
    for plan, hours_ago, outcome, finished in [
        (nightly, 26, failed, True),
        (nightly, 2, done, True),
        (nightly, 0, outcomes.RUNNING, False),  # not finished: not the last run yet
        (broken, 3, previewed, True),
        (broken, 1, failed, True),
    ]:
        slot = now - timedelta(hours=hours_ago)
        PlanRun.objects.create(
            plan=plan,
            slot=slot,
            outcome=outcome,
            finished=slot + timedelta(minutes=5) if finished else None,
        )
    families = scrape(client.get)
    when = {
        (s.labels["plan_id"], s.labels["plan"]): s.value
        for s in families["backupsui_plan_last_run_timestamp_seconds"].samples
    }
    new = Plan.objects.get(name="New")
    assert when == {
        (str(nightly.pk), "Nightly"): (now - timedelta(hours=2, minutes=-5)).timestamp(),
        (str(broken.pk), 'db "main"'): (now - timedelta(hours=1, minutes=-5)).timestamp(),
        (str(new.pk), "New"): 0,
    }
    ok = {s.labels["plan"]: s.value for s in families["backupsui_plan_last_run_ok"].samples}
    assert ok == {"Nightly": 1, 'db "main"': 0}  # the plan never run has no outcome yet


def test_it_writes_any_server_name_as_a_label_the_parser_reads_back(client, settings, db):
    settings.BACKUPSUI_METRICS_TOKEN = KEY
    odd = 'web "01" \\ back\nup ü'
    ServerState.objects.create(
        server_id=7, name=odd, last_seen_at=datetime.now(UTC), health="late", failures_7d=2
    )
    families = scrape(client.get)
    [failed] = families["backupsui_server_failed_backups_7d"].samples
    assert failed.labels == {"server": odd, "server_id": "7"} and failed.value == 2
    [never] = families["backupsui_server_last_completed_backup_timestamp_seconds"].samples
    assert never.value == 0
    states = {s.labels["state"]: s.value for s in families["backupsui_server_health"].samples}
    assert states == {"good": 0, "late": 1, "bad": 0}


def test_it_wants_the_bearer_key_and_has_no_page_without_one(client, settings, db):
    settings.BACKUPSUI_METRICS_TOKEN = KEY
    assert client.get("/metrics").status_code == 401
    refused = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-key")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    settings.BACKUPSUI_METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_it_answers_the_same_from_two_replicas(world):
    env = production_env(world.url, BACKUPSUI_METRICS_TOKEN=KEY)
    replicas = []
    try:
        replicas = [Replica(env, workers=1), Replica(env, workers=1)]
        bodies = []
        for replica in replicas:
            answer = requests.get(
                replica.url + "/metrics", headers={"Authorization": f"Bearer {KEY}"}, timeout=30
            )
            assert answer.status_code == 200
            bodies.append(answer.text)
        assert bodies[0] == bodies[1]
        names = {f.name for f in text_string_to_metric_families(bodies[0])}
        assert names >= SERIES
        assert requests.get(replicas[0].url + "/metrics", timeout=30).status_code == 401
    finally:
        stop_all(replicas)
    assert django_settings.BACKUPSUI_METRICS_TOKEN == KEY


def test_it_ships_rules_and_a_dashboard_that_use_only_these_series():
    folder = ROOT / "docs" / "monitoring"
    dashboard = json.loads((folder / "backupsui-dashboard.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    rules = (folder / "backupsui-rules.yml").read_text()
    known = SERIES | PLAN_SERIES | {"backupsui_alerts_failed_total"}
    for text_ in (exprs, rules):
        used = set(re.findall(r"backupsui_[a-z0-9_]+", text_))
        assert used and used <= known, used - known
    assert "backupsui_worker_last_round_timestamp_seconds" in rules
    assert "48 * 3600" in rules
    assert "backupsui_plan_last_run_ok == 0" in rules
    assert set(re.findall(r"backupsui_[a-z0-9_]+", exprs)) >= PLAN_SERIES
