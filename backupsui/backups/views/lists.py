from datetime import timedelta

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from backupsui.csv_export import csv_response
from backupsui.http import PAGE_SIZE, page_or_part
from backupsui.upstream import UpstreamError

from .. import presenters, restores
from ..account import watch_param
from ..decorators import AccountRequest, account_view
from ..forms import CreateBackupForm, FilterForm, OpenServerForm, PollForm
from ..health import summary
from ..models import FormKey


@account_view("backups.view_backups")
def backup_list(request: AccountRequest):
    form = FilterForm(request.GET)
    filters = form.filters()
    context = {"form": form, "filters": filters, "server_name": None}
    context.update(presenters.table(request.user))
    context["idempotency_key"] = FormKey.issue(
        request.user, CreateBackupForm.purpose
    )  # "Back up now"
    context["back"] = request.get_full_path()
    context["open_form"] = OpenServerForm(
        initial={"server_id": filters["server_id"]}, auto_id="open_%s"
    )
    try:
        listed = request.account.backups(stale=True)
    except UpstreamError as error:
        context["error"] = error
        form.offer([], [])
    else:
        context["as_of"] = presenters.freshness(listed, request.account.token)
        shown = _selected(listed, filters)
        page = Paginator(shown, PAGE_SIZE).get_page(filters["page"])
        form.offer(listed.servers(), listed.statuses())
        context.update(
            page=page,
            rows=presenters.rows(page, odd=listed.odd_among(page), back=request.get_full_path()),
            health=summary(listed.health(timezone.now())),
            watch=watch_param(page),
            server_name=dict(listed.servers()).get(filters["server_id"]),
            short=listed.short and (len(listed.backups), listed.counted),
            restoring=restores.running(server for server, _name in listed.servers()).values(),
        )
    return page_or_part(request, "backups/list.html", "results", context)


def _selected(listed, filters: dict) -> list:
    """The backups the list's filters select, in its order (the page and the CSV alike)."""
    within = filters["within"]
    return listed.select(
        server_id=filters["server_id"],
        backup_type=filters["backup_type"],
        status=filters["status"],
        q=filters["q"],
        sort=filters["sort"],
        since=timezone.now() - timedelta(days=within) if within else None,
    )


BACKUP_COLUMNS = [
    "backup id",
    "server id",
    "server",
    "type",
    "status",
    "size (MB)",
    "created (UTC)",
    "expires (UTC)",
    "description",
]


@account_view("backups.view_backups")
def backup_export(request: AccountRequest):
    """The list as CSV: every backup the filters on screen select (no paging)."""
    try:
        listed = request.account.backups()
    except UpstreamError as error:
        return render(request, "backups/list.html", {"error": error}, status=502)
    rows = (
        [
            b.id,
            b.server.id,
            b.server.name,
            b.backup_type,
            b.status,
            b.size_mb,
            b.created_at,
            b.expires_at,
            b.description,
        ]
        for b in _selected(listed, FilterForm(request.GET).filters())
    )
    return csv_response("backups", BACKUP_COLUMNS, rows)


@account_view("backups.view_backups")
def poll(request: AccountRequest):
    form = PollForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    result = request.account.poll(form.cleaned_data["watch"])
    context = {
        "changed": result.changed,
        "gone": result.gone,
        "watch": result.watch,
        "error": result.error,
        "rows": presenters.rows(result.changed),
        **presenters.table(request.user),
    }
    return render(request, "backups/poll.html", context)
