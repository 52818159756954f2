"""Compiles the translation catalogues (locale/*/LC_MESSAGES/django.po) into the .mo files
Django reads, in pure Python: the install step runs it (`python -m backupsui.catalogue`), and
no compiled catalogue is kept in git."""

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def compile_all(locale: Path = LOCALE) -> list[Path]:
    """Every catalogue whose .mo is missing or older than its .po, compiled; returns them."""
    made = []
    for source in sorted(locale.glob("*/LC_MESSAGES/django.po")):
        target = source.with_suffix(".mo")
        if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
            polib.pofile(str(source)).save_as_mofile(str(target))
            made.append(target)
    return made


if __name__ == "__main__":
    for path in compile_all():
        print(f"compiled {path.relative_to(LOCALE.parent)}")
    sys.exit(0)
