"""Settings, all from environment variables, with defaults that work on a developer's machine."""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP, build_policy

from backupsui.env import (
    env_bool,
    env_fernet_keys,
    env_list,
    env_networks,
    env_number,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-DJANGO_DEBUG-mode-0123456789"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

# The Backups API.
BACKUPS_API_URL = env_url("BACKUPS_API_URL", "http://127.0.0.1:8001/api/v1")
BACKUPS_API_TIMEOUT = env_number("BACKUPS_API_TIMEOUT", 10.0, minimum=0.1)
BACKUPS_API_CONNECT_TIMEOUT = min(3.05, BACKUPS_API_TIMEOUT)
# An answer larger than this (decompressed, every page together) is abandoned.
BACKUPS_API_MAX_MB = env_number("BACKUPS_API_MAX_MB", 64, minimum=1)
# Seconds a user's list stays cached for paging and polling; their own changes drop it at once.
BACKUPS_CACHE_SECONDS = env_number("BACKUPS_CACHE_SECONDS", 5.0, minimum=0)
# A server is late, then bad, when its newest completed backup is this old.
BACKUPSUI_HEALTH_LATE_HOURS = env_number("BACKUPSUI_HEALTH_LATE_HOURS", 26, minimum=1)
BACKUPSUI_HEALTH_BAD_HOURS = env_number("BACKUPSUI_HEALTH_BAD_HOURS", 48, minimum=1)
if BACKUPSUI_HEALTH_BAD_HOURS < BACKUPSUI_HEALTH_LATE_HOURS:
    raise ImproperlyConfigured(
        "BACKUPSUI_HEALTH_BAD_HOURS must be at least BACKUPSUI_HEALTH_LATE_HOURS."
    )
# What each worker may keep of fetched lists, least recently used first out.
BACKUPS_CACHE_MB = env_number("BACKUPS_CACHE_MB", 64, minimum=0)

# Fernet keys for the stored API tokens: the first encrypts, all decrypt.
BACKUPSUI_TOKEN_KEYS = env_fernet_keys("BACKUPSUI_TOKEN_KEYS")
if not BACKUPSUI_TOKEN_KEYS and not DEBUG:
    raise ImproperlyConfigured("BACKUPSUI_TOKEN_KEYS is required when DJANGO_DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_tasks_db",
    "backupsui.accounts",
    "backupsui.audit",
    "backupsui.backups",
    "backupsui.alerts",
    "backupsui.jobs",
    "backupsui.sandbox",
]

# Work that outlives a request (restores with a safety backup, failure alerts) runs in
# `manage.py db_worker` processes, any number of them, from the same database.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# How long a restore job waits for its safety backup to complete before giving up.
BACKUPSUI_SAFETY_WAIT_MINUTES = env_number("BACKUPSUI_SAFETY_WAIT_MINUTES", 120, minimum=0.01)
# How often a job looks at the list while it waits (at most every 10 seconds).
BACKUPSUI_JOB_LOOK_SECONDS = env_number("BACKUPSUI_JOB_LOOK_SECONDS", 10, minimum=0.1)
if BACKUPSUI_JOB_LOOK_SECONDS > 10:
    raise ImproperlyConfigured("BACKUPSUI_JOB_LOOK_SECONDS must be at most 10.")
# The panel's own address as people reach it (e.g. https://backups.example.com): links in
# alert emails and webhooks are absolute with it, paths without it.
BACKUPSUI_PANEL_URL = env_str("BACKUPSUI_PANEL_URL", "").rstrip("/")
# A server restored (or with a restore job open) is not restored again within this many
# minutes unless the person says "restore anyway".
BACKUPSUI_RESTORE_QUIET_MINUTES = env_number("BACKUPSUI_RESTORE_QUIET_MINUTES", 10, minimum=0)
# How often people's lists are looked at for failed backups and bad servers, to alert them.
BACKUPSUI_WATCH_MINUTES = env_number("BACKUPSUI_WATCH_MINUTES", 10, minimum=0.05)

# Email for alerts: SMTP from the environment; the console in development.
EMAIL_BACKEND_NAME = env_str(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_NAME, "OPTIONS": {}}}
if EMAIL_BACKEND_NAME.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("DJANGO_EMAIL_HOST", "localhost"),
        "port": int(env_number("DJANGO_EMAIL_PORT", 25, minimum=1, integer=True)),
        "username": env_str("DJANGO_EMAIL_HOST_USER"),
        "password": env_str("DJANGO_EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("DJANGO_EMAIL_USE_TLS", False),
        "timeout": 10,
    }
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "backupsui@localhost")

# The proxies in front of the panel (a TLS terminator, a load balancer): only their
# X-Forwarded-For and X-Forwarded-Proto are believed.
BACKUPSUI_TRUSTED_PROXIES = env_networks("BACKUPSUI_TRUSTED_PROXIES")

MIDDLEWARE = [
    # First: everything after it sees the client's address and scheme, never a forged one.
    "backupsui.http.TrustedProxyMiddleware",
    # Outermost on the way out, so pages leave compressed; Django's gzip pads against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "backupsui.http.RefuseUploadsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "backupsui.accounts.middleware.PersonLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "backupsui.audit.middleware.RequestIdMiddleware",
    "backupsui.accounts.middleware.SignInAgainMiddleware",
    "backupsui.accounts.middleware.SessionTimeoutMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling: a username from one address is locked out after repeated failures.
AXES_FAILURE_LIMIT = int(env_number("BACKUPSUI_SIGNIN_FAILURE_LIMIT", 5, minimum=1, integer=True))
AXES_COOLOFF_TIME = timedelta(minutes=env_number("BACKUPSUI_SIGNIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "backupsui.accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

ROOT_URLCONF = "backupsui.urls"
WSGI_APPLICATION = "backupsui.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "backupsui.jobs.context.jobs",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Threads of one worker write at once: wait for the lock, take it up front, use WAL.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL;"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "backups:list"
LOGOUT_REDIRECT_URL = "/accounts/login/?signed_out=1"

# English by default, and Samoan (the language of the provider's own documentation). To add
# a language, see the README's "Languages".
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("sm", "Gagana Samoa")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["backupsui.formats"]
LANG_INFO.setdefault(
    "sm", {"bidi": False, "code": "sm", "name": "Samoan", "name_local": "Gagana Samoa"}
)
LANGUAGE_COOKIE_NAME = "backupsui_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_MAX_AGE = 31536000 if not DEBUG else 0
WHITENOISE_USE_FINDERS = DEBUG

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Security headers and cookies.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _static_headers(headers, path, url):
    """Static files carry the pages' security headers too: whitenoise answers them before the
    CSP and framing middleware run (SecurityMiddleware, before it, adds the rest)."""
    headers["Content-Security-Policy"] = build_policy(SECURE_CSP)
    headers["X-Frame-Options"] = X_FRAME_OPTIONS


WHITENOISE_ADD_HEADERS_FUNCTION = _static_headers
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(
    env_number("BACKUPSUI_SESSION_MAX_SECONDS", 12 * 3600, minimum=60, integer=True)
)
BACKUPSUI_SESSION_IDLE_SECONDS = int(
    env_number("BACKUPSUI_SESSION_IDLE_SECONDS", 30 * 60, minimum=60, integer=True)
)
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    LANGUAGE_COOKIE_SECURE = True
    CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "backupsui.views.csrf_failure"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "line": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "audit": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "stream": "ext://sys.stdout",
        },
    },
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "backupsui.audit": {"handlers": ["audit"], "level": "INFO", "propagate": False},
        # django-axes narrates every sign-in at INFO; its lock-outs are audit events already.
        "axes": {"level": "WARNING"},
    },
}
