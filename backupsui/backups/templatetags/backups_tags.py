"""Presentation of backups: sizes, status badges, expiry."""

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()

BADGES = {
    "in_progress": ("running", _("In progress")),
    "completed": ("ok", _("Completed")),
    "failed": ("bad", _("Failed")),
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
    left = expires_at - timezone.now()
    return {
        "state": "past" if left.total_seconds() <= 0 else "future",
        "soon": left <= EXPIRY_WARNING,
    }
