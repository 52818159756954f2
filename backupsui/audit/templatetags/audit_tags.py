"""The API's words (a backup's type and status) as an audit row shows them: recorded as the
API said them, shown in the reader's language."""

from django import template

from backupsui.upstream import status_label, type_label

register = template.Library()
register.filter("type_label", type_label)
register.filter("status_label", status_label)
