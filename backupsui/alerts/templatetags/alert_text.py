"""Names from the API in emails: bidirectional controls written out, long names cut
(backupsui/bidi.py)."""

from django import template

from backupsui.bidi import shown_name as _shown_name

register = template.Library()


@register.filter
def shown_name(value) -> str:
    return _shown_name(value)
