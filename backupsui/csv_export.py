"""CSV the panel hands out (the audit trail, the servers' health, the backups list), streamed
row by row so a large export never sits in memory, with every cell a spreadsheet could run
defused, every bidirectional control written out as <U+202E> (a name cannot read as another),
and names and descriptions from the API cut to bidi.NAME_MAX characters."""

import csv
import unicodedata
from collections.abc import Iterable

from django.http import StreamingHttpResponse
from django.utils import timezone

from backupsui.bidi import NAME_MAX, shown_name, visible_controls

FORMULA_SIGNS = frozenset("=+-@")
# The columns of names and descriptions from the API, in every export (by heading).
NAME_HEADINGS = frozenset({"server", "description", "backup description"})


class _Echo:
    def write(self, value):
        return value


def cell(value, limit: int | None = None) -> str:
    """A value as a cell; text cut to `limit` characters when given."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = shown_name(value, limit) if limit else visible_controls(str(value))
    return "'" + text if _formula_like(text) else text


def _formula_like(text: str) -> bool:
    """Whether a spreadsheet might run the cell: its first character that is not a space
    (tab, line break and full-width ones included) is a formula sign, full-width ＝ too."""
    if text[:1] in ("\t", "\r", "\n"):
        return True
    # Invisible characters (a zero-width space, a byte-order mark) count as spaces here.
    first = "".join(c for c in text if unicodedata.category(c) != "Cf").lstrip()[:1]
    return bool(first) and unicodedata.normalize("NFKC", first) in FORMULA_SIGNS


def stream_csv(headings: list[str], rows: Iterable[Iterable]):
    writer = csv.writer(_Echo())
    yield writer.writerow(headings)
    limits = [NAME_MAX if heading in NAME_HEADINGS else None for heading in headings]
    for row in rows:
        yield writer.writerow(
            [cell(value, limits[i] if i < len(limits) else None) for i, value in enumerate(row)]
        )


def csv_response(name: str, headings: list[str], rows: Iterable[Iterable]):
    """A download named `name-<UTC time>.csv`."""
    response = StreamingHttpResponse(
        stream_csv(headings, rows), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response
