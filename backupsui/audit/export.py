"""The audit trail as CSV, streamed row by row so a large export never sits in memory."""

import csv

from .models import FIELD_NAMES, FIELDS

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
    yield writer.writerow([heading for _name, heading in FIELDS])
    for event in events.iterator(chunk_size=1000):
        yield writer.writerow([_cell(getattr(event, name)) for name in FIELD_NAMES])
