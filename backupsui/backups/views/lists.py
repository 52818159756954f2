from django.shortcuts import render

from backupsui.csv_export import csv_response
from backupsui.http import page_or_part
from backupsui.upstream import UpstreamError

from .. import pages
from ..decorators import AccountRequest, account_view
from ..forms import FilterForm, PollForm


@account_view("backups.view_backups")
def backup_list(request: AccountRequest):
    form = FilterForm(request.GET)
    filters = form.filters()
    try:
        listed = request.account.backups(stale=True)
    except UpstreamError as error:
        context = pages.list_failed(request, form, filters, error)
    else:
        context = pages.list_page(request, listed, form, filters)
    return page_or_part(request, "backups/list.html", "results", context)


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
    selected = pages.selected(listed, FilterForm(request.GET).filters())
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
        for b in selected
    )
    return csv_response("backups", BACKUP_COLUMNS, rows)


@account_view("backups.view_backups")
def poll(request: AccountRequest):
    form = PollForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    result = request.account.poll(form.cleaned_data["watch"])
    return render(request, "backups/poll.html", pages.poll_update(request, result))
