"""The project's own pages: health checks, and the refusals every app shares."""

from django.db import connection
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

import backupsui
from backupsui import probes
from backupsui.audit.actors import Actor
from backupsui.audit.models import Action, Outcome
from backupsui.audit.recorder import note
from backupsui.ids import parse_id


@csrf_exempt  # a POST is told 405 (GET and HEAD only), not refused for its missing token
@require_safe
@never_cache
def healthz(request):
    """The process is alive, and which version it runs."""
    return HttpResponse(f"ok\nversion {backupsui.__version__}\n", content_type="text/plain")


@csrf_exempt
@require_safe
@never_cache
def readyz(request):
    """The database answers. Never the upstream: its trouble is shown where people work, and
    an upstream outage must not take every replica out of the load balancer at once."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        probes.not_ready.failed(error)
        response = JsonResponse({"database": "failed"}, status=503)
        response._has_been_logged = True  # django.request would write a line per probe
        return response
    return JsonResponse({"database": "ok"})


def version(request):
    """The running version, for the footer of every page."""
    return {"version": backupsui.__version__}


# Which part of the navigation a page belongs to: by its app, unless its view is named here
# (a server's page, its restore and its mute are the servers' part; backing up several
# servers starts from them; deleting several backups from the list).
SECTIONS = {
    "backups": "backups",
    "jobs": "jobs",
    "plans": "plans",
    "audit": "audit",
    "alerts": "alerts",
}
VIEW_SECTIONS = {
    "backups:servers": "servers",
    "backups:servers_export": "servers",
    "backups:server": "servers",
    "backups:restore": "servers",
    "backups:mute": "servers",
    "backups:report": "reports",
    "backups:report_export": "reports",
    "backups:report_weekly": "reports",
    "jobs:bulk_backup": "servers",
    "jobs:bulk_delete": "backups",
    "accounts:token": "token",
    "accounts:token_remove": "token",
}


def section(request) -> dict:
    """The navigation's current part (`aria-current` on its link), from the page's view."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return {}
    name = match.view_name
    if name in VIEW_SECTIONS:
        return {"section": VIEW_SECTIONS[name]}
    if name.startswith("mfa_"):
        return {"section": "security"}
    return {"section": SECTIONS.get(match.app_name, "")}


def permission_denied(request, exception=None):
    """A 403 page, and the refusal on record when a signed-in person was refused."""
    if request.user.is_authenticated:
        match = request.resolver_match
        kwargs = match.kwargs if match else {}
        note(
            Actor.from_request(request),
            Action.PERMISSION_DENIED,
            Outcome.REFUSED,
            message=f"{request.method} {request.path}"[:500],
            server_id=parse_id(kwargs.get("server_id")),
            backup_id=parse_id(kwargs.get("backup_id")),
        )
    return render(request, "403.html", status=403)


def server_error(request):
    """The 500 page, with the request id the log line of the failure carries (quoted to
    whoever looks into it). Rendered without the request's context processors: whatever
    failed (the database, say) may fail them too."""
    page = loader.get_template("500.html").render(
        {"request_id": getattr(request, "request_id", "")}
    )
    return HttpResponseServerError(page)


def csrf_failure(request, reason=""):
    """A stale form (or a forged one) gets a plain explanation, not Django's debug page."""
    return render(request, "403_csrf.html", status=403)
