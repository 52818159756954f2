"""Small presentation helpers for templates; the heavy lifting is in backups.presenters."""

from html import escape

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

from backupsui.backups import presenters

register = template.Library()


@register.filter
def ago(moment) -> str:
    """How long ago, by the panel's own clock, to the largest unit ("3 hours ago")."""
    return presenters.ago(moment, timezone.now())


@register.simple_tag
def server_options(servers, selected):
    """The server filter's options in one go: an account may have hundreds of servers."""
    options = (
        f'<option value="{sid:d}"{" selected" if sid == selected else ""}>'
        f"{escape(name)} (#{sid:d})</option>"
        for sid, name in servers
    )
    return mark_safe("".join(options))  # noqa: S308 - ids are ints, names are escaped
