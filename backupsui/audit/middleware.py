import uuid

from backupsui import logs


class RequestIdMiddleware:
    """Gives every request an id for the audit trail and the logs, answered as X-Request-ID:
    the trusted proxy's (its X-Request-ID, kept by backupsui.http.TrustedProxyMiddleware only
    from BACKUPSUI_TRUSTED_PROXIES, so the proxy's lines and the panel's share it), else one of
    the panel's own making (a client's is not trusted: anyone could make two events look like
    one). The id stays on this thread's log lines until the response is closed
    (request_finished), so django.request's line about the response carries it too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request.META.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
        logs.begin(request.request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response
