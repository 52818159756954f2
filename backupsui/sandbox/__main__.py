"""`python -m backupsui.sandbox [options]`: the stand-in Backups API, as `manage.py sandbox`
serves it (the same options), without the panel's settings or database."""

import sys

import django
from django.conf import settings
from django.core.management import call_command


def main(argv: list[str]) -> None:
    if not settings.configured:
        settings.configure(USE_I18N=False)
    django.setup()
    from .management.commands.sandbox import Command

    call_command(Command(), *argv)


if __name__ == "__main__":
    main(sys.argv[1:])
