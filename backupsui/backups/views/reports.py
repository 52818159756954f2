"""A report to file: for a period, per server, what was protected, what failed, who restored
or deleted what. As a page (printable: the print stylesheet leaves one clean document) and
as CSV."""

from django.shortcuts import render
from django.utils import timezone

from backupsui.audit.models import AuditEvent
from backupsui.csv_export import csv_response
from backupsui.upstream import UpstreamError

from .. import report
from ..decorators import AccountRequest, account_view
from ..forms import ReportForm

COLUMNS = [
    "server id",
    "server",
    "completed",
    "failed",
    "longest without a completed backup (hours)",
    "odd backups",
    "restores",
    "deletions",
]


def _built(request: AccountRequest, form: ReportForm) -> report.Report:
    """Raises UpstreamError."""
    start, end = form.period(timezone.now())
    listed = request.account.backups()
    events = (
        AuditEvent.objects.visible_to(request.user)
        .filter(
            created_at__gte=start,
            created_at__lt=end,
            action__in=report.RESTORES + report.DELETIONS,
        )
        .order_by("created_at")
    )
    return report.build(listed.backups, events, start, end)


@account_view("audit.view_all_events")
def report_page(request: AccountRequest):
    form = ReportForm(request.GET)
    context = {"form": form}
    try:
        context["report"] = _built(request, form)
    except UpstreamError as error:
        context["error"] = error
        return render(request, "backups/report.html", context, status=502)
    return render(request, "backups/report.html", context)


def _who(events) -> str:
    return "; ".join(
        f"{event.created_at:%Y-%m-%d %H:%M} {event.actor_username or '-'} "
        f"(backup {event.backup_id}, {event.outcome})"
        for event in events
    )


@account_view("audit.view_all_events")
def report_export(request: AccountRequest):
    form = ReportForm(request.GET)
    try:
        built = _built(request, form)
    except UpstreamError as error:
        return render(request, "backups/report.html", {"form": form, "error": error}, status=502)
    rows = (
        [
            server.id,
            server.name,
            server.completed,
            server.failed,
            server.gap_hours,
            server.odd,
            _who(server.restores),
            _who(server.deletions),
        ]
        for server in built.servers
    )
    return csv_response("report", COLUMNS, rows)
