"""The web process: Django's WSGI application, which stops at once when the database lacks
this release's migrations or production lacks its static files' manifest (backupsui.startup)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backupsui.settings")

application = get_wsgi_application()

from backupsui import startup  # noqa: E402  (Django is set up by now)

startup.start_web()
