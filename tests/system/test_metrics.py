"""/metrics: Prometheus' text format, read from the database (the servers' state the round
and the pages keep, jobs, the audit trail, the alerts' tallies, the calls to the Backups API
every process counted), scraped here by the real prometheus-client parser: every series, the
right values for a sandbox world, 401 without the bearer key, no page without a key
configured, no upstream call while it answers, and the same answer from two replicas, the
calls both made counted alike while the API goes down."""

import json
import re
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import requests
from django.conf import settings as django_settings
from django.db import DatabaseError
from django.db.models import Sum
from prometheus_client.parser import text_string_to_metric_families

from backupsui.accounts.models import ApiToken
from backupsui.alerts.models import Tally
from backupsui.audit import recorder
from backupsui.audit.models import Action
from backupsui.backups.models import ServerState
from backupsui.jobs.models import Job
from backupsui.plans.models import Plan, PlanRun
from backupsui.upstream import BackupsClient, Unavailable, UpstreamError
from backupsui.upstream.ledger import Ledger, ledger
from backupsui.upstream.models import CallCount
from tests.alerts.test_watch import run_round
from tests.conftest import OPERATOR_TOKEN, PASSWORD, make_user, start_sandbox
from tests.faults import closed_port
from tests.stack import ROOT, Browser, Replica, production_env, stop_all, wait_for
from tests.system.test_replicas import QuickPBKDF2

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
    "backupsui_upstream_requests",
    "backupsui_upstream_request_duration_seconds",
    "backupsui_upstream_last_success_timestamp_seconds",
    "backupsui_upstream_breaker_openings",
    "backupsui_upstream_breaker_open",
    "backupsui_token_last_accepted_timestamp_seconds",
    "backupsui_tokens_unreadable",
    "backupsui_lists_failing",
    "backupsui_list_fetch_failures",
}
PLAN_SERIES = {
    "backupsui_plan_last_run_timestamp_seconds",
    "backupsui_plan_last_run_ok",
    "backupsui_plan_missed_slots",
}
# What the text format writes for counters and histograms, beside the families' names.
SAMPLES = {
    "backupsui_alerts_failed_total",
    "backupsui_upstream_requests_total",
    "backupsui_upstream_breaker_openings_total",
    "backupsui_plan_missed_slots_total",
    "backupsui_list_fetch_failures_total",
    *(f"backupsui_upstream_request_duration_seconds_{part}" for part in ("bucket", "sum", "count")),
}


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
    known = SERIES | PLAN_SERIES | SAMPLES
    for text_ in (exprs, rules):
        used = set(re.findall(r"backupsui_[a-z0-9_]+", text_))
        assert used and used <= known, used - known
    assert "backupsui_worker_last_round_timestamp_seconds" in rules
    assert "48 * 3600" in rules
    assert "backupsui_plan_last_run_ok == 0" in rules
    assert set(re.findall(r"backupsui_[a-z0-9_]+", exprs)) >= PLAN_SERIES - {
        "backupsui_plan_missed_slots"
    }
    # "The Backups API is failing": a rule and a panel.
    for text_ in (rules, exprs):
        assert 'backupsui_upstream_requests_total{outcome!~"ok|4xx"}' in text_
        assert "backupsui_upstream_breaker_open" in text_
    titles = [panel["title"] for panel in dashboard["panels"]]
    assert "The Backups API: calls by outcome" in titles


def by_labels(family) -> dict:
    return {tuple(sorted(s.labels.items())): s.value for s in family.samples}


def test_it_counts_the_backups_api_calls_by_call_and_outcome(sandbox, operator, client, settings):
    settings.BACKUPSUI_METRICS_TOKEN = KEY
    answering = BackupsClient(OPERATOR_TOKEN)
    down = BackupsClient(
        OPERATOR_TOKEN, base_url=f"http://127.0.0.1:{closed_port()}/api/v1", timeout=(0.3, 0.3)
    )
    answering.list_backups()
    answering.list_backups()
    for _ in range(3):  # refused, refused (the breaker opens), then held back: paused
        with pytest.raises(Unavailable):
            down.list_backups()
    with pytest.raises(UpstreamError):
        answering.delete_backup(999999)  # the API answers no: 404
    assert ledger.flush()
    families = scrape(client.get)

    calls = {
        (s.labels["call"], s.labels["outcome"]): s.value
        for s in families["backupsui_upstream_requests"].samples
    }
    assert calls == {
        ("delete_backup", "4xx"): 1,
        ("list_backups", "ok"): 2,
        ("list_backups", "paused"): 1,
        ("list_backups", "refused"): 2,
    }
    histogram = {
        (s.name, s.labels.get("le")): s.value
        for s in families["backupsui_upstream_request_duration_seconds"].samples
        if s.labels["call"] == "list_backups"
    }
    assert histogram[("backupsui_upstream_request_duration_seconds_count", None)] == 5
    assert histogram[("backupsui_upstream_request_duration_seconds_bucket", "+Inf")] == 5
    bounds = [v for (name, le), v in histogram.items() if name.endswith("_bucket")]
    assert bounds == sorted(bounds)
    took = CallCount.objects.filter(call="list_backups").aggregate(s=Sum("seconds"))["s"]
    summed = histogram[("backupsui_upstream_request_duration_seconds_sum", None)]
    assert summed == pytest.approx(took) and took > 0
    succeeded = by_labels(families["backupsui_upstream_last_success_timestamp_seconds"])
    assert abs(succeeded[(("call", "list_backups"),)] - datetime.now(UTC).timestamp()) < 60
    assert succeeded[(("call", "delete_backup"),)] == 0  # answered, but never went well
    # The delete's 404 is an answer, later than the breaker's opening: it is closed now.
    assert families["backupsui_upstream_breaker_openings"].samples[0].value == 1
    assert families["backupsui_upstream_breaker_open"].samples[0].value == 0


def test_it_says_the_breaker_is_open_until_the_api_answers_again(db, client, settings):
    settings.BACKUPSUI_METRICS_TOKEN = KEY
    now = datetime.now(UTC)
    ledger.call("list_backups", "ok", 0.2, at=now - timedelta(minutes=2))
    ledger.breaker_opened(at=now - timedelta(minutes=1))
    ledger.call("list_backups", "refused", 0.01, at=now)
    assert ledger.flush()
    assert scrape(client.get)["backupsui_upstream_breaker_open"].samples[0].value == 1
    ledger.call("list_backups", "4xx", 0.1, at=now + timedelta(seconds=1))
    assert ledger.flush()
    assert scrape(client.get)["backupsui_upstream_breaker_open"].samples[0].value == 0


def test_it_adds_up_what_each_process_counted_and_keeps_what_it_could_not_write(db):
    first, second = Ledger(), Ledger()  # two processes' ledgers, one database
    for ledger_ in (first, second):
        ledger_.call("list_backups", "ok", 0.07)
        ledger_.call("list_backups", "ok", 3.0)
    assert first.flush() and second.flush()
    row = CallCount.objects.get(call="list_backups", outcome="ok")
    assert (row.count, row.seconds) == (4, pytest.approx(6.14))
    assert row.buckets == [0, 2, 2, 2, 2, 2, 4, 4, 4]
    first.call("list_backups", "ok", 0.01)
    with mock.patch.object(CallCount.objects, "filter", side_effect=DatabaseError("down")):
        assert first.flush() is False  # the database did not answer: kept for later
    assert first.flush() and CallCount.objects.get(pk=row.pk).count == 5


def test_it_says_when_each_token_was_accepted_and_how_many_no_key_reads(
    client, settings, operator, support
):
    settings.BACKUPSUI_METRICS_TOKEN = KEY
    accepted = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    ApiToken.objects.filter(user=operator).update(last_accepted_at=accepted)
    ApiToken.objects.filter(user=support).update(unreadable_since=accepted)
    families = scrape(client.get)
    tokens = by_labels(families["backupsui_token_last_accepted_timestamp_seconds"])
    olivia, sam = (ApiToken.objects.get(user=person).pk for person in (operator, support))
    assert tokens == {
        (("token_id", str(olivia)), ("user", "olivia")): accepted.timestamp(),
        (("token_id", str(sam)), ("user", "sam")): 0,
    }
    assert families["backupsui_tokens_unreadable"].samples[0].value == 1


def test_it_counts_each_plans_missed_slots(client, settings, operator):
    settings.BACKUPSUI_METRICS_TOKEN = KEY
    hourly = Plan.objects.create(owner=operator, name="Hourly")
    Plan.objects.create(owner=operator, name="Never run")
    now = datetime.now(UTC).replace(microsecond=0)
    for hours_ago, missed in ((5, 0), (2, 3), (1, 1)):
        PlanRun.objects.create(plan=hourly, slot=now - timedelta(hours=hours_ago), missed=missed)
    missed = {
        s.labels["plan"]: s.value for s in scrape(client.get)["backupsui_plan_missed_slots"].samples
    }
    assert missed == {"Hourly": 4, "Never run": 0}


def upstream_part(body: str) -> dict:
    """The Backups API's families of a scrape, by sample."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(body)
        if f.name.startswith(("backupsui_upstream_", "backupsui_token"))
        for s in f.samples
    }


@pytest.mark.django_db(transaction=True)
def test_it_counts_the_calls_two_replicas_made_alike_on_both_while_the_api_goes_down(
    django_user_model,
):
    sandbox = start_sandbox(servers=3)
    answered = []
    real = sandbox.state.list_page

    def counted(account, *args):
        answered.append(account)
        return real(account, *args)

    sandbox.state.list_page = counted
    person = make_user(django_user_model, "olivia", "Operators", OPERATOR_TOKEN)
    quick = QuickPBKDF2()
    person.password = quick.encode(PASSWORD, quick.salt())
    person.save()
    env = production_env(
        sandbox.url,
        BACKUPSUI_METRICS_TOKEN=KEY,
        BACKUPSUI_TRUSTED_PROXIES="127.0.0.1",
        BACKUPS_CACHE_SECONDS="0",  # every page asks the API
    )
    replicas, stopped = [], False
    try:
        replicas = [Replica(env, workers=1), Replica(env, workers=1)]
        people = [Browser(), Browser()]
        for replica, browser in zip(replicas, people, strict=True):
            assert browser.sign_in(replica.url, "olivia", PASSWORD).status_code == 302
            assert browser.get(replica.url + "/backups/").status_code == 200
        sandbox.stop()  # the API goes down
        stopped = True
        for replica, browser in zip(replicas, people, strict=True):
            for _ in range(2):  # the first fails and opens the breaker, the second is held back
                assert browser.get(replica.url + "/backups/").status_code == 502

        def scraped(replica) -> str:
            answer = requests.get(
                replica.url + "/metrics", headers={"Authorization": f"Bearer {KEY}"}, timeout=30
            )
            assert answer.status_code == 200
            return answer.text

        def counted_both() -> dict | None:
            bodies = [upstream_part(scraped(replica)) for replica in replicas]
            name = "backupsui_upstream_requests_total"
            calls = {k[1]: v for k, v in bodies[0].items() if k[0] == name}
            total = sum(v for labels, v in calls.items() if ("call", "list_backups") in labels)
            return bodies[0] if total == len(answered) + 4 and bodies[0] == bodies[1] else None

        families = wait_for(counted_both, seconds=30, every=0.5)
    finally:
        stop_all(replicas)
        if not stopped:
            sandbox.stop()
    calls = {
        dict(labels)["outcome"]: value
        for (name, labels), value in families.items()
        if name == "backupsui_upstream_requests_total"
    }
    assert calls["ok"] == len(answered) >= 2
    assert calls.get("paused") == 2  # one a replica, while its breaker was open
    assert sum(calls.values()) - calls["ok"] - calls["paused"] == 2  # refused (or lost)
    assert families[("backupsui_upstream_breaker_openings_total", ())] == 2
    assert families[("backupsui_upstream_breaker_open", ())] == 1
    [(labels, accepted)] = [
        (labels, value)
        for (name, labels), value in families.items()
        if name == "backupsui_token_last_accepted_timestamp_seconds"
    ]
    assert dict(labels)["user"] == "olivia" and accepted > 0
