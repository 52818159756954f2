"""On every page: the person's restore jobs still running (so any page links to them), and
a check that the periodic round is alive (at most once a minute per process)."""

import time
from threading import Lock

from .models import Job
from .tasks import keep_ticking

CHECK_EVERY = 60.0
_checked = [0.0]
_lock = Lock()


def jobs(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    with _lock:
        due = time.monotonic() - _checked[0] > CHECK_EVERY
        if due:
            _checked[0] = time.monotonic()
    if due:
        keep_ticking()
    return {"open_jobs": Job.objects.filter(user=user, state__in=Job.OPEN)[:5]}
