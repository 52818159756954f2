from contextlib import suppress
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from backupsui.audit.export import stream_csv
from backupsui.http import HtmxHttpRequest, redirect_for
from backupsui.upstream import UpstreamError

from . import presenters
from .decorators import panel_required
from .forms import (
    CreateBackupForm,
    DeleteForm,
    FilterForm,
    OpenServerForm,
    PollForm,
    ServerFilterForm,
)
from .health import summary
from .models import AlreadySent, FormKey, StaleForm
from .panel import Panel, watch_param

PAGE_SIZE = 50


class PanelRequest(HtmxHttpRequest):
    """A request of a view that acts with the person's token (see `panel_required`)."""

    panel: Panel


@require_GET
@login_required
@permission_required("backups.view_backups", raise_exception=True)
@panel_required
def backup_list(request: PanelRequest):
    form = FilterForm(request.GET)
    filters = form.filters()
    context = {"form": form, "filters": filters, "server_name": None}
    context.update(presenters.table(request.user))
    context["once"] = FormKey.issue(request.user, CreateBackupForm.purpose)  # "Back up now"
    context["open_form"] = OpenServerForm(
        initial={"server_id": filters["server_id"]}, auto_id="open_%s"
    )
    try:
        listed = request.panel.backups(stale=True)
    except UpstreamError as error:
        context["error"] = error
        form.offer([], [])
    else:
        context["as_of"] = as_of(listed)
        shown = listed.select(
            server_id=filters["server_id"],
            backup_type=filters["backup_type"],
            status=filters["status"],
            q=filters["q"],
            sort=filters["sort"],
            since=timezone.now() - timedelta(days=filters["within"]) if filters["within"] else None,
        )
        page = Paginator(shown, PAGE_SIZE).get_page(filters["page"])
        form.offer(listed.servers(), listed.statuses())
        context.update(
            page=page,
            rows=presenters.rows(page),
            health=summary(listed.health(timezone.now())),
            watch=watch_param(page),
            server_name=dict(listed.servers()).get(filters["server_id"]),
            short=listed.short and (len(listed.backups), listed.counted),
        )
    return page_or_part(request, "backups/list.html", "results", context)


def as_of(listed) -> int | None:
    """The age in seconds of a list shown while a newer one is fetched, else None."""
    age = listed.age()
    return round(age) if age > settings.BACKUPS_CACHE_SECONDS else None


def gone(request: PanelRequest, why: str, server_id: int | None = None):
    """A backup a page (or an older tab) still names, but the list no longer holds."""
    context = {"why": why, "server_id": server_id}
    return render(request, "backups/gone.html", context, status=404)


def page_or_part(request: PanelRequest, template: str, target: str, context: dict):
    """The whole page, or only its `results` partial when htmx swaps `target`; a page that
    shows an upstream failure answers 502 (a fragment 200, or htmx would not swap it)."""
    partial = request.htmx and not request.htmx.boosted and request.htmx.target == target
    context["partial"] = partial  # a heading may come along, out of band
    status = 502 if "error" in context and not request.htmx else 200
    return render(request, f"{template}#results" if partial else template, context, status=status)


def claim_or_answer(request: PanelRequest, form, template: str, context: dict):
    """The form's one-time key, claimed for this POST; or the answer to give instead: the
    form again (no valid key, nothing done), or what the first POST of it did."""
    try:
        return form.claim()
    except StaleForm:
        stale(form)
        return render(request, template, context, status=400)
    except AlreadySent as sent:
        return already_sent(request, sent.first)


def refused(request: PanelRequest, form, template: str, context: dict, error: UpstreamError):
    """The form again after the API refused its change, with a new key (this one is spent)."""
    context["error"] = error
    form.renew_key()
    return render(request, template, context, status=form_status(error))


@require_GET
@login_required
@permission_required("backups.view_backups", raise_exception=True)
@panel_required
def poll(request: PanelRequest):
    form = PollForm(request.GET)
    if not form.is_valid():
        return render(request, "400.html", {"form": form}, status=400)
    result = request.panel.poll(form.cleaned_data["watch"])
    context = {
        "changed": result.changed,
        "gone": result.gone,
        "watch": result.watch,
        "error": result.error,
        "rows": presenters.rows(result.changed),
        **presenters.table(request.user),
    }
    return render(request, "backups/poll.html", context)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("backups.create_backup", raise_exception=True)
@panel_required
def backup_create(request: PanelRequest):
    if request.method == "GET":
        initial = {"server_id": request.GET.get("server_id", "")}
        return _create_page(request, CreateBackupForm(initial=initial, user=request.user))
    form = CreateBackupForm(request.POST, user=request.user)
    if not form.is_valid():
        return _create_page(request, form, status=400)
    context = {"form": form, "servers": request.panel.known_servers()}
    claim = claim_or_answer(request, form, "backups/create.html", context)
    if not isinstance(claim, FormKey):
        return claim
    server_id = form.cleaned_data["server_id"]
    try:
        created = request.panel.create(
            request, server_id, form.cleaned_data["description"], claim=claim
        )
    except UpstreamError as error:
        form.add_upstream_errors(error)
        form.renew_key()
        return _create_page(request, form, status=form_status(error), error=error)
    messages.success(
        request,
        _("Backup %(id)s of %(server)s started. %(message)s")
        % {
            "id": created.backup.id,
            "server": created.backup.server.name,
            "message": created.message,
        },
    )
    return redirect_for(request, reverse("backups:list") + f"?server_id={server_id}")


def _create_page(request: PanelRequest, form, status: int = 200, **extra):
    """The create form, with the servers of the person's list offered as suggestions (fetched
    for a new form; after a failed request, only what is remembered)."""
    servers = request.panel.known_servers()
    if request.method == "GET" and not servers:
        with suppress(UpstreamError):  # suggestions only: the form works without them
            servers = request.panel.backups().servers()
    context = {"form": form, "servers": servers, **extra}
    return render(request, "backups/create.html", context, status=status)


def stale(form):
    form.add_error(
        None,
        _(
            "This form was not sent whole, or it has expired; nothing was changed. "
            "Check it and send it again."
        ),
    )
    form.renew_key()
    return form


def already_sent(request: PanelRequest, first: FormKey):
    """A form posted again (a double click, a retry, another tab): what the first post did."""
    event = first.event
    if event is None:
        messages.info(
            request,
            _("This form was sent a moment ago and is being carried out; it was not sent twice."),
        )
        return redirect_for(request, reverse("backups:list"))
    messages.info(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            _("This form was already sent (%(action)s: %(outcome)s); it was not sent twice.")
            % {"action": event.get_action_display(), "outcome": event.get_outcome_display()},
            reverse("audit:list") + f"?event={event.pk}",
            _("See it in the audit trail."),
        ),
    )
    where = f"?server_id={event.server_id}" if event.server_id else ""
    return redirect_for(request, reverse("backups:list") + where)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("backups.delete_backup", raise_exception=True)
@panel_required
def backup_delete(request: PanelRequest, backup_id: int):
    try:
        backup = request.panel.find(backup_id)
    except UpstreamError as error:
        return render(request, "backups/delete.html", {"error": error}, status=502)
    if backup is None:
        return gone(
            request,
            _(
                "Backup %(id)s is not in the list (any more): it may have been deleted "
                "already, here or elsewhere. Nothing was sent."
            )
            % {"id": backup_id},
        )
    form = DeleteForm(request.POST or None, user=request.user)
    context = {**presenters.facts(backup), "form": form}
    if backup.in_progress:
        context["refusal"] = _(
            "This backup is still in progress; it can be deleted once it has finished."
        )
        return render(
            request, "backups/delete.html", context, status=409 if request.method == "POST" else 200
        )
    if request.method == "GET" or not form.is_valid():
        return render(request, "backups/delete.html", context)
    claim = claim_or_answer(request, form, "backups/delete.html", context)
    if not isinstance(claim, FormKey):
        return claim
    try:
        request.panel.delete(request, backup, claim=claim)
    except UpstreamError as error:
        return refused(request, form, "backups/delete.html", context, error)
    messages.success(
        request,
        _("Backup %(id)s of %(server)s was deleted.")
        % {"id": backup.id, "server": backup.server.name},
    )
    return redirect_for(request, reverse("backups:list") + f"?server_id={backup.server.id}")


def form_status(error: UpstreamError) -> int:
    if error.status in (400, 404):
        return error.status
    return 502


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


@require_GET
@login_required
@permission_required("backups.view_backups", raise_exception=True)
@panel_required
def server_list(request: PanelRequest):
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
        listed = request.panel.backups(stale=True)
    except UpstreamError as error:
        context["error"] = error
    else:
        context["as_of"] = as_of(listed)
        everyone = listed.health(timezone.now())
        page = Paginator(form.select(everyone), PAGE_SIZE).get_page(filters["page"])
        context.update(page=page, rows=presenters.server_rows(page), health=summary(everyone))
    return page_or_part(request, "backups/servers.html", "servers-results", context)


@require_GET
@login_required
@permission_required("backups.view_backups", raise_exception=True)
@panel_required
def server_export(request: PanelRequest):
    """The servers page as CSV, every server the filters select (no paging)."""
    try:
        listed = request.panel.backups()
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
    response = StreamingHttpResponse(
        stream_csv(SERVER_COLUMNS, rows), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="servers-{stamp}.csv"'
    return response
