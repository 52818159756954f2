"""Small presentation filters for templates: they only show what they are given (no query);
the heavy lifting is in backups.presenters and backups.pages."""

from django import template
from django.utils import timezone

from backupsui.backups import names, presenters

register = template.Library()


@register.filter
def ago(moment) -> str:
    """How long ago, by the panel's own clock, to the largest unit ("3 hours ago")."""
    return presenters.ago(moment, timezone.now())


@register.filter
def name_html(text) -> str:
    """A name from the API in a <bdi>: its bidirectional controls shown, cut to a sane length,
    the whole name in the title (names.py)."""
    return names.name_html(str(text))


@register.filter
def name_text(text) -> str:
    """A name from the API as plain text (a title, an attribute): controls shown, cut."""
    return names.name(str(text))


@register.filter
def description_html(text) -> str:
    """A description from the API in a <bdi>, as name_html does for names."""
    return names.description_html(str(text))


@register.filter
def visible(text) -> str:
    """A name whole (one to be typed), its bidirectional controls written out (names.py)."""
    return names.visible(str(text))
