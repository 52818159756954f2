"""What load balancers and kubelets ask: /healthz and /readyz answer over plain HTTP from the
replica's network (SECURE_REDIRECT_EXEMPT) whatever Host the prober sends, and a failing
readiness check writes at most one log line a minute per process."""

import logging
import threading
import time

PATHS = frozenset({"/healthz", "/readyz"})
# For SecurityMiddleware, which matches against the path without its leading slash.
REDIRECT_EXEMPT = [rf"^{path.lstrip('/')}$" for path in sorted(PATHS)]
# What a probe's Host reads as: a prober names a replica by address or by a pool's name
# (nginx's upstream, a target group), never by the panel's public name.
PROBE_HOST = "probe.invalid"
LOG_EVERY_SECONDS = 60.0

logger = logging.getLogger("backupsui.probes")


class ProbeMiddleware:
    """Probes skip the ALLOWED_HOSTS check (a 400 and a traceback per probe otherwise); they
    go through every other middleware, so they carry the same headers as any page. Only GET
    and HEAD are answered (the views refuse anything else), and nothing in them builds a URL
    from the host."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in PATHS:
            request.get_host = lambda: PROBE_HOST
        return self.get_response(request)


class NotReadyLog:
    """One line when readiness first fails, then at most one a minute, with how many failures
    went unwritten in between."""

    def __init__(self, every: float = LOG_EVERY_SECONDS, clock=time.monotonic):
        self.every = every
        self.clock = clock
        self.lock = threading.Lock()
        self.next_at = 0.0
        self.unwritten = 0

    def failed(self, error: BaseException) -> None:
        now = self.clock()
        with self.lock:
            if now < self.next_at:
                self.unwritten += 1
                return
            skipped, self.unwritten, self.next_at = self.unwritten, 0, now + self.every
        cause = (str(error).strip().splitlines() or [""])[0][:300]
        logger.warning(
            "not ready: the database did not answer (%s: %s); %d more failures since the last line",
            type(error).__name__,
            cause,
            skipped,
            extra={"cause": type(error).__name__, "probe": "readyz"},
        )


not_ready = NotReadyLog()
