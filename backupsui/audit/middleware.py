import uuid

from backupsui import logs


class RequestIdMiddleware:
    """Gives every request an id of the panel's own making, for the audit trail and the logs
    (a client's X-Request-ID is not trusted: anyone could make two events look like one). The
    id stays on this thread's log lines until the response is closed (request_finished), so
    django.request's line about the response carries it too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        logs.begin(request.request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response
