"""The audit trail as CSV, streamed row by row so a large export never sits in memory."""

import csv
import unicodedata

from .models import FIELD_NAMES, FIELDS

FORMULA_SIGNS = frozenset("=+-@")


class _Echo:
    def write(self, value):
        return value


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    return "'" + text if _formula_like(text) else text


def _formula_like(text: str) -> bool:
    """Whether a spreadsheet might run the cell: its first character that is not a space
    (tab, line break and full-width ones included) is a formula sign, full-width ＝ too."""
    if text[:1] in ("\t", "\r", "\n"):
        return True
    first = text.lstrip()[:1]
    return bool(first) and unicodedata.normalize("NFKC", first) in FORMULA_SIGNS


def csv_rows(events):
    writer = csv.writer(_Echo())
    yield writer.writerow([heading for _name, heading in FIELDS])
    for event in events.iterator(chunk_size=1000):
        yield writer.writerow([_cell(getattr(event, name)) for name in FIELD_NAMES])
