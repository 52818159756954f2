import uuid


class RequestIdMiddleware:
    """Gives every request an id of the panel's own making, for the audit trail and the logs
    (a client's X-Request-ID is not trusted: anyone could make two events look like one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response
