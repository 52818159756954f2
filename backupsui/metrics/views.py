import hmac

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest

from .collector import DatabaseCollector, server_text


def _authorized(request) -> bool:
    given = request.headers.get("Authorization", "")
    wanted = f"Bearer {settings.BACKUPSUI_METRICS_TOKEN}"
    return hmac.compare_digest(given.encode(), wanted.encode())


@csrf_exempt  # a scraper's POST is told 405, not refused for a missing CSRF token
@require_safe
@never_cache
def metrics(request):
    """Prometheus' text format, for a scraper holding BACKUPSUI_METRICS_TOKEN as its bearer
    key. Without a key configured there is no such page."""
    if not settings.BACKUPSUI_METRICS_TOKEN:
        raise Http404
    if not _authorized(request):
        refused = HttpResponse("a bearer key is needed\n", status=401, content_type="text/plain")
        refused["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return refused
    # The 0.0.4 text format: every Prometheus version reads it (our names need no escaping).
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    body = server_text().encode() + generate_latest(registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)
