"""Many changes at once: back up the chosen servers, or delete the chosen backups. A
confirmation naming them (and what is left out, and why), then a results page that follows
each one live."""

from functools import partial

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backupsui.backups.decorators import AccountRequest, account_view
from backupsui.backups.forms import BulkBackupForm, BulkDeleteForm
from backupsui.backups.pipeline import carry_out
from backupsui.backups.restores import seen_servers
from backupsui.ids import parse_id
from backupsui.plans import kept
from backupsui.upstream import UpstreamError

from . import bulk
from .models import BulkItem, BulkRequest

MAX_SERVERS = 500


def _chosen(request: AccountRequest, ids: list[str], known: list[tuple[int, str]]):
    # A checkbox sends one id; "all shown" sends the page's ids in one value, comma-separated.
    parts = [part for value in ids for part in value.split(",")][:MAX_SERVERS]
    wanted = {parse_id(part) for part in parts} - {None}
    return [(sid, name) for sid, name in known if sid in wanted]


@account_view("backups.create_backup", methods=("GET", "POST"))
def bulk_backup(request: AccountRequest):
    try:
        known = request.account.backups().all_servers()
    except UpstreamError as error:
        return render(request, "jobs/bulk_confirm.html", {"error": error}, status=502)
    source = request.POST if request.method == "POST" else request.GET
    asked = [value for value in source.getlist("server_id") if value.strip(", ")]
    servers = _chosen(request, asked, known)
    if asked and not servers:
        # Only servers the person's token does not show (another account's, or gone).
        return render(
            request,
            "backups/gone.html",
            {"why": _("None of these servers is in your list.")},
            status=404,
        )
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
        started = bulk.back_up(
            actor, [s for s in servers if s[0] in chosen], form.cleaned_data["description"]
        )
        messages.success(
            request,
            ngettext(
                "%(count)s backup was requested; its outcome follows below.",
                "%(count)s backups were requested; each one's outcome follows below.",
                len(chosen),
            )
            % {"count": len(chosen)},
        )
        return reverse("jobs:bulk", args=[started.pk])

    return carry_out(request, form, change, page)


def _page(request, context: dict, status: int = 200, **extra):
    return render(request, "jobs/bulk_confirm.html", {**context, **extra}, status=status)


@account_view("backups.view_backups")
def bulk_results(request: AccountRequest, bulk_id: int):
    """Each server's outcome, live while any create is open or any new backup runs."""
    found = BulkRequest.objects.filter(pk=bulk_id).first()
    if found is None or not found.visible_to(request.user):
        raise Http404(_("No such bulk backup."))
    items = list(found.items.select_related("event"))
    statuses = {}
    # The backups' statuses come from the person's own list, and only for a bulk request of
    # their account: another account's is shown from what was recorded (nothing is asked).
    ours = set(seen_servers(request.user).filter(server_id__in={i.server_id for i in items}))
    if any(item.backup_id and item.server_id in ours for item in items):
        try:
            listed = request.account.backups()
        except UpstreamError:
            listed = None
        for item in items:
            mine = listed and item.backup_id and item.server_id in ours
            statuses[item.pk] = listed.find(item.backup_id) if mine else None
    rows = [(item, statuses.get(item.pk)) for item in items]
    live = any(item.state in BulkItem.OPEN for item in items) or any(
        backup is not None and backup.in_progress for _item, backup in rows
    )
    context = {"bulk": found, "rows": rows, "live": live}
    partial_only = request.htmx and request.htmx.target == "bulk-results"
    template = "jobs/bulk.html#results" if partial_only else "jobs/bulk.html"
    return render(request, template, context)


def _to_delete(request: AccountRequest, listed, ids: list[str], allow_newest: bool):
    """The chosen backups that will be deleted, and those left out with why."""
    parts = [part for value in ids for part in value.split(",")][:MAX_SERVERS]
    wanted = list(dict.fromkeys(i for i in (parse_id(p) for p in parts) if i is not None))
    newest = {
        server.newest.id for server in listed.health(timezone.now()) if server.newest is not None
    }
    found = [b for b in (listed.find(i) for i in wanted) if b is not None]
    marked = kept.kept_ids(found)
    going, left_out = [], []
    for backup_id in wanted:
        backup = listed.find(backup_id)
        if backup is None:
            left_out.append((backup_id, None, _("no longer in the list")))
        elif backup.in_progress:
            left_out.append((backup_id, backup, _("it is being taken now")))
        elif backup.id in marked:
            left_out.append((backup_id, backup, _("it is marked kept: release it first")))
        elif backup.id in newest and not allow_newest:
            left_out.append((backup_id, backup, _("its server's newest completed backup")))
        else:
            going.append(backup)
    return going, left_out


@account_view("backups.delete_backup", methods=("GET", "POST"))
def bulk_delete(request: AccountRequest):
    try:
        listed = request.account.backups()
    except UpstreamError as error:
        return render(request, "jobs/bulk_delete.html", {"error": error}, status=502)
    source = request.POST if request.method == "POST" else request.GET
    allow_newest = source.get("allow_newest") in ("on", "1", "true")
    going, left_out = _to_delete(request, listed, source.getlist("backup_id"), allow_newest)
    if not going and not left_out:
        messages.info(request, _("Choose the backups to delete first."))
        return redirect("backups:list")
    if not going and all(backup is None for _id, backup, _why in left_out):
        # Only backups the person's token does not show (another account's, or gone).
        why = _("None of these backups is in your list (any more). Nothing was sent.")
        return render(request, "backups/gone.html", {"why": why}, status=404)
    form = BulkDeleteForm(
        request.POST if request.method == "POST" else None,
        initial={
            "backup_id": [b.id for b in going] + [i for i, _b, _w in left_out],
            "allow_newest": allow_newest,
            "shown": len(going),
            "shown_newest": allow_newest,
        },
        chosen=[b.id for b in going] + [i for i, _b, _w in left_out],
        user=request.user,
    )
    context = {"form": form, "going": going, "left_out": left_out}
    page = partial(_delete_page, request, context)
    if request.method == "GET":
        return page()
    if not form.is_valid() or not going or not form.check_count(len(going)):
        form.drawn(len(going), allow_newest)  # the page shown again says what it shows now
        return page(200 if form.asks else 400)

    def change(actor, key):
        started = bulk.delete(actor, going)
        messages.success(
            request,
            ngettext(
                "The deletion of %(count)s backup was requested; its outcome follows.",
                "The deletion of %(count)s backups was requested; each one's outcome follows.",
                len(going),
            )
            % {"count": len(going)},
        )
        return reverse("jobs:bulk", args=[started.pk])

    return carry_out(request, form, change, page)


def _delete_page(request, context: dict, status: int = 200, **extra):
    return render(request, "jobs/bulk_delete.html", {**context, **extra}, status=status)
