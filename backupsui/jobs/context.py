"""On every page: the person's restore jobs still running (so any page links to them). It
only reads: the periodic rounds are queued by `manage.py scheduler`, never by a page."""

from .models import Job


def jobs(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"open_jobs": Job.objects.filter(user=user, state__in=Job.OPEN)[:5]}
