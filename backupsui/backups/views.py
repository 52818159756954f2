import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache as shared_cache
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from backupsui.converters import positive_id
from backupsui.http import PanelRequest, redirect_for
from backupsui.upstream import Unauthorized, UpstreamError

from . import cache, presenters
from .decorators import panel_required, permission_required_or_403
from .forms import CreateBackupForm, FilterForm, PollForm, RestoreForm
from .listing import select, statuses
from .polling import poll_changes, watch_param

PAGE_SIZE = 50
DOUBLE_SUBMIT_SECONDS = 10


def _error(error: UpstreamError) -> dict:
    return {
        "message": error.message,
        "token_refused": isinstance(error, Unauthorized),
        "status": error.status,
    }


@require_GET
@login_required
@permission_required_or_403("backups.view_backups")
@panel_required
def backup_list(request: PanelRequest):
    form = FilterForm(request.GET)
    form.is_valid()
    filters = form.filters()
    context = {"form": form, "filters": filters, **_abilities(request.user)}
    try:
        entry = request.panel.backups(filters["server_id"], filters["backup_type"])
    except UpstreamError as error:
        context["error"] = _error(error)
    else:
        shown = select(entry, status=filters["status"], q=filters["q"], sort=filters["sort"])
        page = Paginator(shown, PAGE_SIZE).get_page(filters["page"])
        context.update(
            page=page,
            rows=presenters.rows(page),
            statuses=[(value, presenters.badge(value)[1]) for value in statuses(entry)],
            watch=watch_param(page),
        )
    context["servers"] = cache.servers_by_name(request.user.pk)
    context["server_name"] = dict(context["servers"]).get(filters["server_id"])
    partial = request.htmx and not request.htmx.boosted and request.htmx.target == "results"
    template = "backups/list.html#results" if partial else "backups/list.html"
    status = 502 if "error" in context and not request.htmx else 200
    return render(request, template, context, status=status)


def _abilities(user) -> dict:
    """What the rows may offer, and the words for it (worked out once, not once a row)."""
    return {
        "can_restore": user.has_perm("backups.restore_server"),
        "can_delete": user.has_perm("backups.delete_backup"),
        "words": {
            "restore": _("Restore"),
            "delete": _("Delete"),
            "server": _("Server"),
            "type": _("Type"),
            "status": _("Status"),
            "size": _("Size"),
            "created": _("Created"),
            "expires": _("Expires"),
            "description": _("Description"),
        },
    }


@require_GET
@login_required
@permission_required_or_403("backups.view_backups")
@panel_required
def poll(request: PanelRequest):
    changes = poll_changes(request.panel, PollForm(request.GET).watched())
    changes["rows"] = presenters.rows(changes["changed"])
    return render(request, "backups/poll.html", {**changes, **_abilities(request.user)})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required_or_403("backups.create_backup")
@panel_required
def backup_create(request: PanelRequest):
    if request.method == "GET":
        form = CreateBackupForm(initial={"server_id": request.GET.get("server_id", "")})
        return _create_page(request, form)
    form = CreateBackupForm(request.POST)
    if not form.is_valid():
        return _create_page(request, form, status=400)
    server_id = form.cleaned_data["server_id"]
    description = form.cleaned_data["description"]
    digest = hashlib.sha256(description.encode()).hexdigest()[:16]
    once_key = f"create:{request.user.pk}:{server_id}:{digest}"
    if not shared_cache.add(once_key, 1, timeout=DOUBLE_SUBMIT_SECONDS):
        messages.warning(
            request,
            _(
                "This backup was requested a moment ago; it is not asked "
                "for twice. Check the list below."
            ),
        )
        return redirect(reverse("backups:list") + f"?server_id={server_id}")
    try:
        created = request.panel.create(request, server_id, description)
    except UpstreamError as error:
        shared_cache.delete(once_key)
        for field, errors in error.fields.items():
            target = field if field in form.fields else None
            for text in errors:
                form.add_error(target, text)
        if not error.fields:
            form.add_error(None, error.message)
        return _create_page(request, form, status=_form_status(error), error=_error(error))
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
    """The create form, with the servers the user has seen offered as suggestions."""
    context = {"form": form, "servers": cache.servers_by_name(request.user.pk), **extra}
    return render(request, "backups/create.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required_or_403("backups.delete_backup")
@panel_required
def backup_delete(request: PanelRequest, backup_id: int):
    server_id = positive_id(request.GET.get("server_id") or request.POST.get("server_id"))
    try:
        backup = request.panel.find(backup_id, server_id)
    except UpstreamError as error:
        return render(request, "backups/delete.html", {"error": _error(error)}, status=502)
    if backup is None:
        raise Http404(_("No such backup."))
    context = {"backup": backup}
    if backup.in_progress:
        context["refusal"] = _(
            "This backup is still in progress; it can be deleted once it has finished."
        )
        return render(
            request, "backups/delete.html", context, status=409 if request.method == "POST" else 200
        )
    if request.method == "GET":
        return render(request, "backups/delete.html", context)
    try:
        request.panel.delete(request, backup)
    except UpstreamError as error:
        context["error"] = _error(error)
        return render(request, "backups/delete.html", context, status=_form_status(error))
    messages.success(
        request,
        _("Backup %(id)s of %(server)s was deleted.")
        % {"id": backup.id, "server": backup.server.name},
    )
    return redirect_for(request, reverse("backups:list") + f"?server_id={backup.server.id}")


@require_http_methods(["GET", "POST"])
@login_required
@permission_required_or_403("backups.restore_server")
@panel_required
def server_restore(request: PanelRequest, server_id: int):
    data = request.POST if request.method == "POST" else None
    backup_id = positive_id((data or request.GET).get("backup_id"))
    if backup_id is None:
        raise Http404(_("Choose a backup to restore from."))
    try:
        backup = request.panel.find(backup_id, server_id)
    except UpstreamError as error:
        return render(request, "backups/restore.html", {"error": _error(error)}, status=502)
    if backup is None or backup.server.id != server_id:
        raise Http404(_("No such backup of this server."))
    # A server with no name is confirmed by typing its id.
    expected = backup.server.name or str(backup.server.id)
    form = RestoreForm(data, initial={"backup_id": backup.id}, server_name=expected)
    context = {"backup": backup, "form": form, "expected": expected}
    if request.method == "GET":
        return render(request, "backups/restore.html", context)
    if not form.is_valid():
        return render(request, "backups/restore.html", context, status=400)
    try:
        message, event = request.panel.restore(request, backup)
    except UpstreamError as error:
        context["error"] = _error(error)
        return render(request, "backups/restore.html", context, status=_form_status(error))
    messages.success(
        request,
        format_html(
            '{} {} <a href="{}">{}</a>',
            _("Restore of %(server)s from backup %(id)s was accepted.")
            % {"server": backup.server.name, "id": backup.id},
            message,
            reverse("audit:list") + f"?event={event.pk}",
            _("See it in the audit trail."),
        ),
    )
    return redirect_for(request, reverse("backups:list") + f"?server_id={server_id}")


def _form_status(error: UpstreamError) -> int:
    if error.status in (400, 404):
        return error.status
    return 502
