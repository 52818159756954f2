"""The API's words (a backup's type and status) and sizes as an audit row shows them:
recorded as the API said them, shown in the reader's language and as the lists write them."""

from django import template

from backupsui.upstream import size_text, status_label, type_label

register = template.Library()
register.filter("type_label", type_label)
register.filter("status_label", status_label)
register.filter("size_label", size_text)
