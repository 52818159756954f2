"""On every page: the person's restore jobs still running (so any page links to them). It
only reads: the periodic rounds are queued by `manage.py scheduler`, never by a page. Every
page asks, so the read is compiled once (backupsui.compiled)."""

from backupsui.compiled import Compiled

from .models import Job

_open = Compiled(lambda user_id: Job.objects.filter(user=user_id, state__in=Job.OPEN)[:5])


def jobs(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"open_jobs": _open.instances(Job, user.pk)}
