"""Back up many servers at once: a confirmation naming them, then a results page that follows
each server's create live."""

from functools import partial

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from backupsui.backups.decorators import AccountRequest, account_view
from backupsui.backups.forms import BulkBackupForm
from backupsui.backups.pipeline import carry_out
from backupsui.ids import parse_id
from backupsui.upstream import UpstreamError

from . import bulk
from .models import BulkBackup, BulkItem

MAX_SERVERS = 500


def _chosen(request: AccountRequest, ids: list[str], known: list[tuple[int, str]]):
    # A checkbox sends one id; "all shown" sends the page's ids in one value, comma-separated.
    parts = [part for value in ids for part in value.split(",")][:MAX_SERVERS]
    wanted = {parse_id(part) for part in parts} - {None}
    return [(sid, name) for sid, name in known if sid in wanted]


@account_view("backups.create_backup", methods=("GET", "POST"))
def bulk_backup(request: AccountRequest):
    try:
        known = request.account.backups().servers()
    except UpstreamError as error:
        return render(request, "jobs/bulk_confirm.html", {"error": error}, status=502)
    source = request.POST if request.method == "POST" else request.GET
    servers = _chosen(request, source.getlist("server_id"), known)
    if not servers:
        messages.info(request, _("Choose the servers to back up first."))
        return redirect("backups:servers")
    form = BulkBackupForm(
        request.POST if request.method == "POST" else None,
        initial={"server_id": [sid for sid, _name in servers]},
        servers=servers,
        user=request.user,
    )
    context = {"form": form, "servers": servers}
    page = partial(_page, request, context)
    if request.method == "GET" or not form.is_valid():
        return page(200 if request.method == "GET" else 400)

    def change(actor, key):
        chosen = set(form.cleaned_data["server_id"])
        started = bulk.start(
            actor, [s for s in servers if s[0] in chosen], form.cleaned_data["description"]
        )
        messages.success(
            request,
            _("%(count)s backups were requested; each one's outcome follows below.")
            % {"count": len(chosen)},
        )
        return reverse("jobs:bulk", args=[started.pk])

    return carry_out(request, form, change, page)


def _page(request, context: dict, status: int = 200, **extra):
    return render(request, "jobs/bulk_confirm.html", {**context, **extra}, status=status)


@account_view("backups.view_backups")
def bulk_results(request: AccountRequest, bulk_id: int):
    """Each server's outcome, live while any create is open or any new backup runs."""
    found = BulkBackup.objects.filter(pk=bulk_id).first()
    if found is None or not found.visible_to(request.user):
        raise Http404(_("No such bulk backup."))
    items = list(found.items.select_related("event"))
    statuses = {}
    if any(item.backup_id for item in items):
        try:
            listed = request.account.backups()
        except UpstreamError:
            listed = None
        for item in items:
            backup = listed.find(item.backup_id) if listed and item.backup_id else None
            statuses[item.pk] = backup
    rows = [(item, statuses.get(item.pk)) for item in items]
    live = any(item.state in BulkItem.OPEN for item in items) or any(
        backup is not None and backup.in_progress for _item, backup in rows
    )
    context = {"bulk": found, "rows": rows, "live": live}
    partial_only = request.htmx and request.htmx.target == "bulk-results"
    template = "jobs/bulk.html#results" if partial_only else "jobs/bulk.html"
    return render(request, template, context)
