"""Settings, all from environment variables, with defaults that work on a developer's machine."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP, build_policy

from backupsui.accounts.roles import OPERATORS, ROLES
from backupsui.env import (
    env_bool,
    env_cache_url,
    env_choice,
    env_fernet_keys,
    env_list,
    env_networks,
    env_number,
    env_ports,
    env_role_map,
    env_roles,
    env_str,
    env_time_zone,
    env_url,
)
from backupsui.logs import log_format, logging_config
from backupsui.probes import REDIRECT_EXEMPT

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
# A completed backup is odd at most this times, or at least this times, its server's usual size.
BACKUPSUI_SIZE_LOW = env_number("BACKUPSUI_SIZE_LOW", 0.5, minimum=0)
BACKUPSUI_SIZE_HIGH = env_number("BACKUPSUI_SIZE_HIGH", 2.0, minimum=1)
if BACKUPSUI_SIZE_LOW >= BACKUPSUI_SIZE_HIGH:
    raise ImproperlyConfigured("BACKUPSUI_SIZE_LOW must be below BACKUPSUI_SIZE_HIGH.")
# What each worker may keep of fetched lists, least recently used first out.
BACKUPS_CACHE_MB = env_number("BACKUPS_CACHE_MB", 64, minimum=0)
# A list older than BACKUPS_CACHE_SECONDS but younger than this is shown at once, with its
# age, while one process fetches a new one (never for confirmations and changes). At most
# BACKUPS_CACHE_SECONDS turns it off.
BACKUPS_STALE_SECONDS = env_number("BACKUPS_STALE_SECONDS", 60.0, minimum=0)
# The cache every process and replica shares (Redis): fetched lists and the single-flight
# locks, and the default cache (below). Unset: each process keeps its own lists, and the
# default cache is the database.
BACKUPSUI_CACHE_URL = env_cache_url("BACKUPSUI_CACHE_URL")

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
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_tasks_db",
    # The Backups API client; its calls are counted in the database for /metrics.
    "backupsui.upstream",
    "backupsui.accounts",
    "backupsui.audit",
    "backupsui.backups",
    "backupsui.alerts",
    "backupsui.jobs",
    "backupsui.plans",
    "backupsui.sandbox",
]

# Work that outlives a request runs in `manage.py worker` processes, any number of them per
# queue, from the same database: restore jobs and the housekeeping round on "default", every
# outbound alert on "alerts" (so a slow receiver never holds up a restore). `manage.py
# scheduler` queues the periodic rounds.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "alerts"],
    }
}
# How long a restore job waits for its safety backup to complete before giving up.
BACKUPSUI_SAFETY_WAIT_MINUTES = env_number("BACKUPSUI_SAFETY_WAIT_MINUTES", 120, minimum=0.01)
# How often a job looks at the list while it waits (at most every 10 seconds).
BACKUPSUI_JOB_LOOK_SECONDS = env_number("BACKUPSUI_JOB_LOOK_SECONDS", 10, minimum=0.1)
# The most backups one run of a plan deletes (the rest wait for its next run).
BACKUPSUI_PLAN_DELETES_PER_RUN = int(env_number("BACKUPSUI_PLAN_DELETES_PER_RUN", 20, minimum=0))
# The shortest time between two runs of a plan's schedule: each run makes a manual backup of
# every server it covers (which never expires by itself), so schedules more often are refused.
BACKUPSUI_PLAN_MIN_MINUTES = env_number("BACKUPSUI_PLAN_MIN_MINUTES", 60, minimum=1, integer=True)
if BACKUPSUI_JOB_LOOK_SECONDS > 10:
    raise ImproperlyConfigured("BACKUPSUI_JOB_LOOK_SECONDS must be at most 10.")
# The panel's own address as people reach it (e.g. https://backups.example.com): links in
# alert emails and webhooks are absolute with it, paths without it.
BACKUPSUI_PANEL_URL = env_str("BACKUPSUI_PANEL_URL", "").rstrip("/")
# A server restored (or with a restore job open) is not restored again within this many
# minutes unless the person says "restore anyway".
BACKUPSUI_RESTORE_QUIET_MINUTES = env_number("BACKUPSUI_RESTORE_QUIET_MINUTES", 10, minimum=0)
# How often the scheduler queues the periodic rounds: people's lists looked at for failed
# backups and bad servers (alerts), and the housekeeping.
BACKUPSUI_WATCH_MINUTES = env_number("BACKUPSUI_WATCH_MINUTES", 10, minimum=0.05)
# One person's alerts of a round (or one test alert) as a whole, wall clock: every way
# (email, webhook, each Apprise URL) is sent side by side within it (alerts/delivery.py).
BACKUPSUI_ALERT_TIMEOUT = env_number("BACKUPSUI_ALERT_TIMEOUT", 15, minimum=1)
# The ports webhooks and Apprise URLs may be sent to (backupsui/outbound.py).
BACKUPSUI_OUTBOUND_PORTS = env_ports("BACKUPSUI_OUTBOUND_PORTS", [443])
# The most Apprise URLs one person may have.
BACKUPSUI_APPRISE_MAX = int(env_number("BACKUPSUI_APPRISE_MAX", 5, minimum=0, integer=True))
# While a server stays bad, a reminder this often (0: never).
BACKUPSUI_ALERT_REMIND_HOURS = env_number("BACKUPSUI_ALERT_REMIND_HOURS", 24, minimum=0)
# Which Apprise services people may send alerts to: the hosted chat and paging services, not
# the raw json://, xml:// and form:// ones (the webhook, with its address checks, is for those).
BACKUPSUI_APPRISE_SCHEMES = env_list(
    "BACKUPSUI_APPRISE_SCHEMES",
    [
        "slack",
        "msteams",
        "workflows",
        "tgram",
        "ntfys",
        "matrixs",
        "discord",
        "pagerduty",
        "opsgenie",
        "pover",
        "mmosts",
        "rockets",
        "zulip",
        "gchat",
        "splunk",
        "victorops",
        "wxteams",
        "webex",
        "pbul",
    ],
)
# A server no token has shown for this long is forgotten by the panel's metrics and alerts.
BACKUPSUI_FORGET_SERVERS_DAYS = env_number("BACKUPSUI_FORGET_SERVERS_DAYS", 30, minimum=1)
# The bearer key Prometheus scrapes /metrics with; without one there is no /metrics.
BACKUPSUI_METRICS_TOKEN = env_str("BACKUPSUI_METRICS_TOKEN")

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
        "timeout": BACKUPSUI_ALERT_TIMEOUT,
    }
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "backupsui@localhost")

# The proxies in front of the panel (a TLS terminator, a load balancer): only their
# X-Forwarded-For and X-Forwarded-Proto are believed.
BACKUPSUI_TRUSTED_PROXIES = env_networks("BACKUPSUI_TRUSTED_PROXIES")

MIDDLEWARE = [
    # Outermost: a HEAD leaves without a body, whatever answered it.
    "backupsui.http.HeadMiddleware",
    # Next: every answer carries these headers, whatever answered it (a probe, the redirect
    # to HTTPS, a bad Host refused by CommonMiddleware, a static file from WhiteNoise).
    "backupsui.headers.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Then: everything after it sees the client's address and scheme, never a forged one.
    "backupsui.http.TrustedProxyMiddleware",
    # Early: every line logged while a request is handled carries its id (backupsui/logs.py).
    "backupsui.audit.middleware.RequestIdMiddleware",
    # Health probes answer whatever Host a load balancer sends (backupsui/probes.py).
    "backupsui.probes.ProbeMiddleware",
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
    # The person's permissions in one query (two otherwise, on every page).
    "backupsui.accounts.permissions.PermissionsMiddleware",
    "backupsui.accounts.middleware.PersonLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "backupsui.accounts.middleware.SignInAgainMiddleware",
    "backupsui.accounts.middleware.SessionTimeoutMiddleware",
    "backupsui.logs.UserIdMiddleware",
    "axes.middleware.AxesMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Changes need a second factor (for the roles that must have one) and a recent confirmation.
    "backupsui.accounts.guards.ChangeGuardMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: a locked-out try is refused here, before any password is hashed.
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Sign-in throttling: a username from one address is locked out after repeated failures, and
# an address trying many usernames after more failures across all of them (spraying).
AXES_FAILURE_LIMIT = int(env_number("BACKUPSUI_SIGNIN_FAILURE_LIMIT", 5, minimum=1, integer=True))
BACKUPSUI_SIGNIN_ADDRESS_LIMIT = int(
    env_number("BACKUPSUI_SIGNIN_ADDRESS_LIMIT", 20, minimum=1, integer=True)
)
AXES_COOLOFF_TIME = timedelta(minutes=env_number("BACKUPSUI_SIGNIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Second-factor codes (backupsui/accounts/code_limits.py): wrong ones for one person, and from
# one address across people, in each period of BACKUPSUI_SIGNIN_LOCKOUT_MINUTES; then no code
# is checked until the period ends.
BACKUPSUI_CODE_FAILURE_LIMIT = int(
    env_number("BACKUPSUI_CODE_FAILURE_LIMIT", 5, minimum=1, integer=True)
)
BACKUPSUI_CODE_ADDRESS_LIMIT = int(
    env_number("BACKUPSUI_CODE_ADDRESS_LIMIT", 20, minimum=1, integer=True)
)
AXES_HANDLER = "backupsui.accounts.throttle.AddressAwareHandler"
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
                "backupsui.views.version",
                "backupsui.views.section",
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
if DATABASES["default"].get("OPTIONS", {}).get("pool"):
    # DATABASE_URL=…?pool=true: psycopg's pool keeps the connections (psycopg[pool]).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
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

# Sign-in, second factors, re-authentication and single sign-on: django-allauth.
ACCOUNT_ADAPTER = "backupsui.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "backupsui.accounts.adapters.SocialAccountAdapter"
ACCOUNT_FORMS = {"login": "backupsui.accounts.forms.SignInForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = True  # sessions end by BACKUPSUI_SESSION_* as before
ACCOUNT_LOGOUT_REDIRECT_URL = LOGOUT_REDIRECT_URL
# Failed sign-ins are counted by django-axes, in the database (every worker agrees); wrong
# second-factor codes by backupsui/accounts/code_limits.py (allauth's `login_failed` limit,
# which both would share, answers neither with 429 nor with when it lifts). allauth's other
# limits hold across processes: they live in the shared default cache.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
ACCOUNT_REAUTHENTICATION_TIMEOUT = 60 * env_number("BACKUPSUI_REAUTH_MINUTES", 10, minimum=0.05)
BACKUPSUI_REAUTH_MINUTES = ACCOUNT_REAUTHENTICATION_TIMEOUT / 60
ACCOUNT_PREVENT_ENUMERATION = True
# Confirming again: a second factor, else the password (no codes by e-mail: none is sent).
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "mfa")
MFA_ADAPTER = "backupsui.accounts.adapters.MFAAdapter"
MFA_FORMS = {
    "add_webauthn": "backupsui.accounts.forms.AddPasskeyForm",
    "authenticate": "backupsui.accounts.forms.SecondStepForm",
    "reauthenticate": "backupsui.accounts.forms.ConfirmWithCodeForm",
}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "backupsui"
MFA_RECOVERY_CODES_SHOW_ONCE = True
# Adding or removing a factor asks for a recent confirmation by the panel's own rule
# (BACKUPSUI_REAUTH_MINUTES, signing in counts), in backupsui.accounts.guards.
MFA_REAUTHENTICATION_REQUIRED = False
# Passkeys over plain http on loopback (development and the tests); production is https.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# The roles that must have a second factor before they change anything (comma-separated);
# a name that is not a role stops start-up (a typo must not turn the requirement off).
BACKUPSUI_MFA_REQUIRED = env_roles("BACKUPSUI_MFA_REQUIRED", ROLES, [OPERATORS])
# Passwords for everyone (on), or for superusers only (off: single sign-on for the rest).
BACKUPSUI_LOCAL_SIGNIN = env_bool("BACKUPSUI_LOCAL_SIGNIN", True)
# Single sign-on: one OpenID Connect provider, and the roles its groups give.
BACKUPSUI_OIDC_ISSUER = env_str("BACKUPSUI_OIDC_ISSUER")
BACKUPSUI_OIDC_ROLES = env_role_map("BACKUPSUI_OIDC_ROLES", ROLES)
BACKUPSUI_OIDC_GROUPS_CLAIM = env_str("BACKUPSUI_OIDC_GROUPS_CLAIM", "groups")
SOCIALACCOUNT_PROVIDERS = {}
if BACKUPSUI_OIDC_ISSUER:
    _missing = [
        name
        for name in ("BACKUPSUI_OIDC_CLIENT_ID", "BACKUPSUI_OIDC_CLIENT_SECRET")
        if not env_str(name)
    ]
    if _missing:
        raise ImproperlyConfigured(f"{', '.join(_missing)} must be set with BACKUPSUI_OIDC_ISSUER.")
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "SCOPE": env_list("BACKUPSUI_OIDC_SCOPES", ["openid", "profile", "email"]),
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": "sso",
                "name": env_str("BACKUPSUI_OIDC_NAME", "single sign-on"),
                "client_id": env_str("BACKUPSUI_OIDC_CLIENT_ID"),
                "secret": env_str("BACKUPSUI_OIDC_CLIENT_SECRET"),
                "settings": {"server_url": env_url("BACKUPSUI_OIDC_ISSUER", "")},
            }
        ],
    }
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False

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
TIME_ZONE = env_time_zone("DJANGO_TIME_ZONE", "UTC")

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

# The default cache is shared by every process and replica (one-time codes already used,
# rate limits, wrong-code counts): the database (the table accounts.0007 makes), or Redis
# when BACKUPSUI_CACHE_URL is set. Entries it may hold before the oldest go: enough that
# flooding it cannot push out a code used a minute ago.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "backupsui_cache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}
if BACKUPSUI_CACHE_URL:
    # A Redis that does not answer fails the request (a used code is never taken twice).
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": BACKUPSUI_CACHE_URL,
        "KEY_PREFIX": "backupsui-shared",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
if BACKUPSUI_CACHE_URL:
    CACHES["lists"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": BACKUPSUI_CACHE_URL,
        "KEY_PREFIX": "backupsui",
        # A Redis that does not answer within a second is passed by: each process then
        # fetches for itself, as without the shared cache.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }

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
if BACKUPSUI_OIDC_ISSUER:
    # "Sign in with …" posts here and is sent on to the provider: a form's redirect is
    # checked against form-action too.
    _issuer = urlsplit(BACKUPSUI_OIDC_ISSUER)
    SECURE_CSP["form-action"].append(f"{_issuer.scheme}://{_issuer.netloc}")
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
    SECURE_REDIRECT_EXEMPT = REDIRECT_EXEMPT  # probes answer over plain HTTP too
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

# One JSON object per line (BACKUPSUI_LOG_FORMAT=json, the default with debug off) or plain
# readable lines (`plain`); see backupsui/logs.py, and gunicorn.conf.py for gunicorn's own.
try:
    BACKUPSUI_LOG_FORMAT = log_format(DEBUG)
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOGGING = logging_config(BACKUPSUI_LOG_FORMAT, env_choice("DJANGO_LOG_LEVEL", LOG_LEVELS, "INFO"))
