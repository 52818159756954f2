"""Small presentation helpers for templates; the heavy lifting is in backups.presenters."""

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

from backupsui.backups import presenters
from backupsui.backups.row_html import row_html, words_for_rows
from backupsui.backups.server_row_html import server_row_html, words_for_servers

register = template.Library()


@register.filter
def ago(moment) -> str:
    """How long ago, by the panel's own clock, to the largest unit ("3 hours ago")."""
    return presenters.ago(moment, timezone.now())


@register.simple_tag(takes_context=True)
def backup_rows(context, rows, marks, oob=False, each_in_template=False):
    """The table's rows (row_html.py): `marks` from plans' plan_marks; `oob` for the live
    status's out-of-band swaps, each row then `each_in_template` (a <template> apiece)."""
    table = {
        "can_restore": context.get("can_restore"),
        "can_delete": context.get("can_delete"),
        "can_keep": context.get("can_keep"),
        "words": context["words"],
    }
    said = words_for_rows(
        str(context.get("csrf_token", "")),
        context["request"].get_full_path(),
        presenters.url_maker("plans:detail", "plan_id"),
    )
    marks = marks or {}
    made = [row_html(row, marks.get(row.backup.id) or {}, table, said, oob) for row in rows]
    if each_in_template:
        made = [f"<template>{html}</template>\n" for html in made]
    return mark_safe("".join(made))  # noqa: S308 - each row escaped by row_html


@register.simple_tag(takes_context=True)
def server_rows(context, rows, planned):
    """The servers table's rows (server_row_html.py): `planned` from plans' server_plans."""
    words = words_for_servers(bool(context.get("can_create")), bool(context.get("can_mute")))
    planned = planned or {}
    made = [server_row_html(row, planned.get(row.server.id) or [], words) for row in rows]
    return mark_safe("".join(made))  # noqa: S308 - each row escaped by server_row_html
