"""On every page: the person's restore jobs still running, so any page links to them.
Reading only: periodic work is the scheduler's (nothing is enqueued while a page renders)."""

from .models import Job


def jobs(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"open_jobs": Job.objects.filter(user=user, state__in=Job.OPEN)[:5]}
