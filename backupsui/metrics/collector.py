"""What /metrics says, read from the database at each scrape (so every replica answers the
same, and the upstream is never called): each server's state as the round and the pages last
saw it, the jobs by state, the audit events not settled yet, the alert deliveries that failed
and the periodic round's heartbeat. Plans have no series yet: there is no plan model."""

from django.db.models import Count
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from backupsui.alerts.models import Tally
from backupsui.audit.models import AuditEvent, Outcome
from backupsui.backups.health import HEALTHS
from backupsui.backups.models import ServerState
from backupsui.jobs.models import Job

SERVER_LABELS = ["server_id", "server"]


def _seconds(moment) -> float:
    return moment.timestamp() if moment is not None else 0.0


class DatabaseCollector:
    def collect(self):
        completed = GaugeMetricFamily(
            "backupsui_server_last_completed_backup_timestamp_seconds",
            "When the server's newest completed backup was taken (0: it has none).",
            labels=SERVER_LABELS,
        )
        health = GaugeMetricFamily(
            "backupsui_server_health",
            "The server's backup health: 1 for its current state, 0 for the others.",
            labels=[*SERVER_LABELS, "state"],
        )
        failed = GaugeMetricFamily(
            "backupsui_server_failed_backups_7d",
            "The server's backups that failed in the last seven days.",
            labels=SERVER_LABELS,
        )
        seen = GaugeMetricFamily(
            "backupsui_server_last_seen_timestamp_seconds",
            "When a stored token last showed the server (to the hour).",
            labels=SERVER_LABELS,
        )
        rows = ServerState.objects.order_by("server_id").values_list(
            "server_id", "name", "last_seen_at", "last_completed_at", "failures_7d", "health"
        )
        for server_id, name, seen_at, completed_at, failures, state in rows.iterator(2000):
            labels = [str(server_id), name]
            completed.add_metric(labels, _seconds(completed_at))
            for each in HEALTHS:
                health.add_metric([*labels, each], 1.0 if each == state else 0.0)
            failed.add_metric(labels, failures)
            seen.add_metric(labels, _seconds(seen_at))
        yield from (completed, health, failed, seen)

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
