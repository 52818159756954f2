"""Presentation of backups: sizes, status badges, expiry, relative times."""

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

register = template.Library()

BADGES = {
    "in_progress": ("running", gettext_lazy("In progress")),
    "completed": ("ok", gettext_lazy("Completed")),
    "failed": ("bad", gettext_lazy("Failed")),
}
EXPIRY_WARNING = timedelta(days=3)


@register.filter
def size(mb):
    if mb is None:
        return "—"
    if mb >= 1024:
        return _("%(size).1f GB") % {"size": mb / 1024}
    return _("%(size)d MB") % {"size": mb}


@register.simple_tag
def badge(status: str) -> dict:
    kind, label = BADGES.get(status, ("other", status or _("unknown")))
    return {"kind": kind, "label": label, "raw": status}


@register.simple_tag
def expiry(expires_at) -> dict:
    if expires_at is None:
        return {"state": "never", "soon": False}
    now = timezone.now()
    left = expires_at - now
    return {
        "state": "past" if left.total_seconds() <= 0 else "future",
        "soon": left <= EXPIRY_WARNING,
        "left": timeuntil(expires_at, now, depth=1),
    }


@register.filter
def ago(moment) -> str:
    """How long ago, by the panel's own clock, to the largest unit ("3 hours ago")."""
    now = timezone.now()
    if (now - moment).total_seconds() < 60:
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(moment, now, depth=1)}
