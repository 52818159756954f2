"""What /metrics says, read from the database at each scrape (so every replica answers the
same, and the upstream is never called): each server's state as the round and the pages last
saw it, the jobs by state, the audit events not settled yet, the alert deliveries that failed
and the periodic round's heartbeat, each plan's last run and missed slots (when plans exist),
and the Backups API as every process found it (upstream.py)."""

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from backupsui.accounts.models import ApiToken
from backupsui.alerts.models import Tally
from backupsui.audit.models import AuditEvent, Outcome
from backupsui.backups.health import HEALTHS
from backupsui.backups.models import ServerState
from backupsui.jobs.models import Job
from backupsui.plans.models import Plan, PlanRun

from .upstream import upstream_families

SERVER_LABELS = ["server_id", "server"]
PLAN_LABELS = ["plan_id", "plan"]
# A run that made what it was due to make; a stopped run (the plan paused, by a person or by
# itself), a failed one and one that needs attention (a chosen server not in the owner's list,
# a pattern matching none) did not.
RUN_OK = {PlanRun.Outcome.DONE, PlanRun.Outcome.PREVIEWED}


def _seconds(moment) -> float:
    return moment.timestamp() if moment is not None else 0.0


SERVER_FAMILIES = (
    (
        "backupsui_server_last_completed_backup_timestamp_seconds",
        "When the server's newest completed backup was taken (0: it has none).",
    ),
    ("backupsui_server_health", "The server's backup health: 1 for its current state, 0 else."),
    ("backupsui_server_failed_backups_7d", "The server's backups that failed in seven days."),
    (
        "backupsui_server_last_seen_timestamp_seconds",
        "When a stored token last showed the server (to the hour).",
    ),
)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def server_text() -> str:
    """The per-server families in the text format, written here rather than through the
    library's sample objects: at 1,000 servers (7,000 lines) that is ten times faster, and
    the format is four short lines of the specification. Parsed back by the library's own
    parser in the tests."""
    completed, health, failed, seen = ([] for _ in range(4))
    rows = ServerState.objects.order_by("server_id").values_list(
        "server_id", "name", "last_seen_at", "last_completed_at", "failures_7d", "health"
    )
    for server_id, name, seen_at, completed_at, failures, state in rows.iterator(2000):
        labels = f'server="{_label(name)}",server_id="{server_id}"'
        completed.append(f"{{{labels}}} {_seconds(completed_at)!r}")
        for each in HEALTHS:
            health.append(f'{{{labels},state="{each}"}} {1.0 if each == state else 0.0}')
        failed.append(f"{{{labels}}} {float(failures)!r}")
        seen.append(f"{{{labels}}} {_seconds(seen_at)!r}")
    parts = []
    for (name, help_text), lines in zip(
        SERVER_FAMILIES, (completed, health, failed, seen), strict=True
    ):
        parts.append(f"# HELP {name} {help_text}\n# TYPE {name} gauge\n")
        parts.extend(f"{name}{line}\n" for line in lines)
    return "".join(parts)


class DatabaseCollector:
    """Everything but the per-server families (server_text)."""

    def collect(self):
        jobs = GaugeMetricFamily("backupsui_jobs", "Restore jobs by state.", labels=["state"])
        counts = dict(Job.objects.values_list("state").annotate(n=Count("pk")).order_by())
        for state in Job.State.values:
            jobs.add_metric([state], counts.get(state, 0))
        yield jobs

        unsettled = AuditEvent.objects.filter(
            outcome__in=[Outcome.PENDING, Outcome.UNKNOWN]
        ).count()
        yield GaugeMetricFamily(
            "backupsui_audit_events_unsettled",
            "Audit events whose outcome is still pending or unknown.",
            value=unsettled,
        )

        tallies = {
            t.name: t for t in Tally.objects.filter(name__in=[Tally.ROUND, Tally.ALERTS_FAILED])
        }
        failures = tallies.get(Tally.ALERTS_FAILED)
        yield CounterMetricFamily(
            "backupsui_alerts_failed",
            "Alert deliveries (one per way: email, webhook, each Apprise URL) that failed.",
            value=failures.value if failures else 0,
        )
        heartbeat = tallies.get(Tally.ROUND)
        yield GaugeMetricFamily(
            "backupsui_worker_last_round_timestamp_seconds",
            "When the periodic round last finished (0: never).",
            value=_seconds(heartbeat.at if heartbeat else None),
        )

        yield from plan_families()
        yield from list_families()

        # The Backups API: calls, durations, breakers, tokens (a block of its own).
        yield from upstream_families()


def plan_families():
    """Each plan's newest finished run: when it finished (0: never) and whether it made what
    it was due to (only for a plan that has finished a run). Nothing when there are no plans."""
    newest = PlanRun.objects.filter(plan=OuterRef("pk"), finished__isnull=False).order_by(
        "-finished", "-pk"
    )
    missed = PlanRun.objects.filter(plan=OuterRef("pk")).values("plan").annotate(n=Sum("missed"))
    plans = list(
        Plan.objects.order_by("pk")
        .annotate(
            run_finished=Subquery(newest.values("finished")[:1]),
            run_outcome=Subquery(newest.values("outcome")[:1]),
            slots_missed=Subquery(missed.values("n")[:1]),
        )
        .values_list("pk", "name", "run_finished", "run_outcome", "slots_missed")
    )
    if not plans:
        return
    when = GaugeMetricFamily(
        "backupsui_plan_last_run_timestamp_seconds",
        "When the plan's newest finished run ended (0: it has not run yet).",
        labels=PLAN_LABELS,
    )
    ok = GaugeMetricFamily(
        "backupsui_plan_last_run_ok",
        "1 if the plan's newest finished run made what it was due to, 0 if it failed, stopped "
        "or needs attention.",
        labels=PLAN_LABELS,
    )
    missed = CounterMetricFamily(
        "backupsui_plan_missed_slots",
        "Slots of the plan's schedule that passed while nothing ran them (each catch-up run "
        "counts the slots it stood in for).",
        labels=PLAN_LABELS,
    )
    for pk, name, finished, outcome, slots_missed in plans:
        when.add_metric([str(pk), name], _seconds(finished))
        if finished is not None:
            ok.add_metric([str(pk), name], 1.0 if outcome in RUN_OK else 0.0)
        missed.add_metric([str(pk), name], slots_missed or 0)
    yield when
    yield ok
    yield missed


def list_families():
    """The lists the Backups API did not give at the last try (their pages show an older list
    and say so), and the failed list fetches, counted on the tokens' rows."""
    found = ApiToken.objects.aggregate(
        failing=Count("pk", filter=Q(list_failed_at__isnull=False)), failures=Sum("list_failures")
    )
    yield GaugeMetricFamily(
        "backupsui_lists_failing",
        "Stored tokens whose last list fetch failed: their pages show an older list, saying so.",
        value=found["failing"],
    )
    yield CounterMetricFamily(
        "backupsui_list_fetch_failures",
        "List fetches that failed, summed over the stored tokens (a token removed takes its "
        "count with it).",
        value=found["failures"] or 0,
    )
