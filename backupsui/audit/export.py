"""The audit trail as CSV, streamed row by row so a large export never sits in memory."""

import csv

from django.utils.translation import gettext_lazy as _

COLUMNS = [
    ("id", _("id")),
    ("created_at", _("time (UTC)")),
    ("finished_at", _("finished (UTC)")),
    ("actor_username", _("user")),
    ("remote_addr", _("address")),
    ("action", _("action")),
    ("server_id", _("server id")),
    ("server_name", _("server")),
    ("backup_id", _("backup id")),
    ("outcome", _("outcome")),
    ("upstream_status", _("upstream status")),
    ("message", _("message")),
    ("request_id", _("request id")),
    ("user_agent", _("user agent")),
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value):
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    # A spreadsheet must not run what a user typed as a formula.
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_rows(events):
    writer = csv.writer(_Echo())
    yield writer.writerow([str(label) for _name, label in COLUMNS])
    names = [name for name, _label in COLUMNS]
    for event in events.iterator(chunk_size=1000):
        yield writer.writerow([_cell(getattr(event, name)) for name in names])
