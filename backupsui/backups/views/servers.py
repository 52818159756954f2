from django.conf import settings
from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from backupsui.audit.actors import Actor
from backupsui.csv_export import csv_response
from backupsui.http import page_or_part, redirect_for
from backupsui.upstream import UpstreamError

from .. import pages, presenters
from ..decorators import AccountRequest, account_view
from ..forms import MuteForm, ServerFilterForm
from ..mutes import mute_server, muted_until
from ..names import name_html, sentence_html

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
        "settings_late": presenters.hours_text(settings.BACKUPSUI_HEALTH_LATE_HOURS),
        "settings_bad": presenters.hours_text(settings.BACKUPSUI_HEALTH_BAD_HOURS),
    }
    try:
        listed = request.account.backups(stale=True)
    except UpstreamError as error:
        context["error"] = error
    else:
        context.update(pages.servers_page(request, listed, form, filters))
    return page_or_part(request, "backups/servers.html", "servers-results", context)


@account_view("backups.view_backups")
def server_export(request: AccountRequest):
    """The servers page as CSV, every server the filters select (no paging)."""
    try:
        listed = request.account.backups()
    except UpstreamError as error:
        return render(request, "backups/servers.html", {"error": error}, status=502)
    servers = ServerFilterForm(request.GET).select(listed.health(timezone.now()), listed)
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


@account_view("backups.view_backups")
def server_detail(request: AccountRequest, server_id: int):
    """One server's story (pages.server_story)."""
    try:
        listed = request.account.backups()
    except UpstreamError as error:
        return render(request, "backups/server.html", {"error": error}, status=502)
    server = next((s for s in listed.health(timezone.now()) if s.id == server_id), None)
    if server is None:
        context = {
            "why": _("Server %(server)s is not in your list (any more).") % {"server": server_id}
        }
        return render(request, "backups/gone.html", context, status=404)
    return render(request, "backups/server.html", pages.server_story(request, listed, server))


@account_view("backups.mute_server", methods=("GET", "POST"))
def server_mute(request: AccountRequest, server_id: int):
    """Mutes a server's alerts for a while (maintenance), or unmutes them; audited."""
    try:
        listed = request.account.backups()
    except UpstreamError as error:
        return render(request, "backups/mute.html", {"error": error}, status=502)
    server = next((s for s in listed.health(timezone.now()) if s.id == server_id), None)
    if server is None:
        why = _("Your API token shows no server #%(id)s.") % {"id": server_id}
        return render(request, "backups/gone.html", {"why": why}, status=404)
    form = MuteForm(request.POST or None)
    context = {
        "form": form,
        "server": server,
        "muted_until": muted_until([server.id]).get(server.id),
    }
    if request.method == "POST" and form.is_valid():
        state = mute_server(Actor.from_request(request), server, form.cleaned_data["hours"])
        if state.muted_until:
            said = sentence_html(_("%(name)s is muted."), name=name_html(server.name))
        else:
            said = sentence_html(_("%(name)s is no longer muted."), name=name_html(server.name))
        messages.success(request, said)
        return redirect_for(request, reverse("backups:servers") + f"#server-{server.id}")
    return render(request, "backups/mute.html", context, status=400 if form.errors else 200)
