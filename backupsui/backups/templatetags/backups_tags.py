"""Small presentation helpers for templates; the heavy lifting is in backups.presenters."""

from django import template
from django.utils import timezone

from backupsui.backups import presenters

register = template.Library()


@register.filter
def ago(moment) -> str:
    """How long ago, by the panel's own clock, to the largest unit ("3 hours ago")."""
    return presenters.ago(moment, timezone.now())
