"""The panel's settings as production has them, with throwaway keys made at start-up."""

import os
import secrets

from cryptography.fernet import Fernet

os.environ["DJANGO_DEBUG"] = "0"
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("BACKUPSUI_TOKEN_KEYS", Fernet.generate_key().decode())
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
# Each in-process test runs in one transaction, which a list refreshed behind a page (in a
# thread of its own, on a connection of its own) cannot see: here lists are fresh or fetched.
# The stale window is tested on real replicas (test_shared_lists.py) and in test_cache.py.
os.environ.setdefault("BACKUPS_STALE_SECONDS", "0")
# Second factors are required only by the tests about them (they set it themselves).
os.environ.setdefault("BACKUPSUI_MFA_REQUIRED", "")

from backupsui.settings import *  # noqa: E402, F403

STORAGES = {  # noqa: F405
    **STORAGES,  # noqa: F405
    "staticfiles": {  # noqa: F405
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The browser tests' passkeys live on http://127.0.0.1 (a secure context for browsers).
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
# Static files straight from the source folders: no collectstatic in tests.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared memory: concurrent tests need SQLite's real locking. Under
    # pytest-xdist, pytest-django gives each worker its own (test-db.sqlite3_gw0, ...).
    DATABASES["default"]["TEST"] = {"NAME": BASE_DIR / "var" / "test-db.sqlite3"}  # noqa: F405
    (BASE_DIR / "var").mkdir(exist_ok=True)  # noqa: F405
