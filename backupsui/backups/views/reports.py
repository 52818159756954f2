"""A report to file: for a period, per server, what was protected, what failed, who restored
or deleted what. As a page (printable: the print stylesheet leaves one clean document) and
as CSV."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backupsui.accounts.models import Preference
from backupsui.csv_export import csv_response
from backupsui.upstream import UpstreamError

from .. import report
from ..decorators import AccountRequest, account_view
from ..forms import ReportForm, WeeklyReportForm

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
    return report.for_person(request.account, start, end)


@account_view("audit.view_all_events")
def report_page(request: AccountRequest):
    form = ReportForm(request.GET)
    context = {
        "form": form.shown(timezone.now()),
        "weekly": Preference.weekly_report_wanted(request.user),
    }
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
        context = {"form": form, "error": error}
        return render(request, "backups/report.html", context, status=502)
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


@require_POST
@login_required
@permission_required("audit.view_all_events", raise_exception=True)
def report_weekly(request):
    """Asks for this report by email every week, or stops it (a preference, like the
    language: not an audited change)."""
    form = WeeklyReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to get the weekly report."))
    else:
        Preference.want_weekly_report(request.user, form.wanted, timezone.now())
        if form.wanted:
            messages.success(request, _("You will get this report by email every Monday."))
        else:
            messages.success(request, _("You will no longer get the weekly report."))
    return redirect("backups:report")
