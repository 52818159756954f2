from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from backupsui.csv_export import csv_response
from backupsui.http import PAGE_SIZE, page_or_part
from backupsui.upstream import UpstreamError

from .. import presenters, restores
from ..decorators import AccountRequest, account_view
from ..forms import ServerFilterForm
from ..health import summary

SERVER_COLUMNS = [
    "server id",
    "server",
    "health",
    "running now",
    "newest completed (UTC)",
    "newest completed type",
    "failures in 7 days",
    "backups",
    "total size (MB)",
    "next expiry (UTC)",
    "manual, never expiring",
]


@account_view("backups.view_backups")
def server_list(request: AccountRequest):
    """Backup health across servers, worst first."""
    form = ServerFilterForm(request.GET)
    filters = form.filters()
    context = {
        "form": form,
        "filters": filters,
        "can_create": request.user.has_perm("backups.create_backup"),
        "settings_late": f"{settings.BACKUPSUI_HEALTH_LATE_HOURS:g}",
        "settings_bad": f"{settings.BACKUPSUI_HEALTH_BAD_HOURS:g}",
    }
    try:
        listed = request.account.backups()
    except UpstreamError as error:
        context["error"] = error
    else:
        everyone = listed.health(timezone.now())
        page = Paginator(form.select(everyone), PAGE_SIZE).get_page(filters["page"])
        context.update(
            page=page,
            rows=presenters.server_rows(page, back=request.get_full_path()),
            health=summary(everyone),
        )
        context["restoring"] = restores.running(server.id for server in everyone).values()
    return page_or_part(request, "backups/servers.html", "servers-results", context)


@account_view("backups.view_backups")
def server_export(request: AccountRequest):
    """The servers page as CSV, every server the filters select (no paging)."""
    try:
        listed = request.account.backups()
    except UpstreamError as error:
        return render(request, "backups/servers.html", {"error": error}, status=502)
    servers = ServerFilterForm(request.GET).select(listed.health(timezone.now()))
    rows = (
        [
            server.id,
            server.name,
            server.health,
            "yes" if server.running else "no",
            server.newest.created_at if server.newest else None,
            server.newest.backup_type if server.newest else None,
            server.failures,
            server.count,
            round(server.total_mb, 1),
            server.next_expiry,
            server.never_expire,
        ]
        for server in servers
    )
    return csv_response("servers", SERVER_COLUMNS, rows)
