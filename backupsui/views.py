"""Liveness and readiness, for load balancers and orchestrators."""

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from backupsui.upstream.client import ping


@require_GET
@never_cache
def healthz(request):
    return HttpResponse("ok\n", content_type="text/plain")


@require_GET
@never_cache
def readyz(request):
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means not ready
        checks["database"] = "failed"
    checks["upstream"] = "ok" if ping() else "failed"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(checks, status=200 if ready else 503)


def csrf_failure(request, reason=""):
    """A stale form (or a forged one) gets a plain explanation, not Django's debug page."""
    return render(request, "403_csrf.html", status=403)
