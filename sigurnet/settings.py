"""Django settings for Sigurnet.

Everything that differs between a laptop and a production machine comes from environment
variables (documented in docs/configuration.md). The defaults are those of the quick start:
SQLite, in-memory cache and channel layer, Celery tasks run eagerly, mail written to files.
With ``SIGURNET_DEBUG`` off (production) the platform refuses to start without its secrets.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from sigurnet.config import env_bool, env_int, env_list, load_quickstart_secrets

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("SIGURNET_VAR_DIR", REPO_DIR / "var"))

DEBUG = env_bool("SIGURNET_DEBUG", False)

# --- Secrets -------------------------------------------------------------------------------
# In the quick start (DEBUG on) missing secrets are created once in a local file outside git.
# In production a missing secret stops the platform at start-up rather than running insecurely.
_quickstart = load_quickstart_secrets(VAR_DIR) if DEBUG else {}


def _secret(name: str) -> str:
    value = os.environ.get(name) or _quickstart.get(name, "")
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. Production needs it; see docs/configuration.md."
        )
    return value


SECRET_KEY = _secret("SECRET_KEY")
SIGURNET_DATA_KEYS = [k.strip() for k in _secret("SIGURNET_DATA_KEYS").split(",") if k.strip()]
SIGURNET_INDEX_KEY = _secret("SIGURNET_INDEX_KEY")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
CSRF_FAILURE_VIEW = "sigurnet.core.errors.csrf_failure"  # a kind page, in the visitor's language

# --- Applications --------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_htmx",
    "channels",
    "sigurnet.core",
    "sigurnet.hotline",
    "sigurnet.helpline",
    "sigurnet.awareness",
    "sigurnet.stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sigurnet.core.middleware.SecurityHeadersMiddleware",
    "sigurnet.core.middleware.ApiErrorsAsJsonMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "sigurnet.core.middleware.EnabledLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "sigurnet.core.middleware.StaffAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sigurnet.urls"
WSGI_APPLICATION = "sigurnet.wsgi.application"
ASGI_APPLICATION = "sigurnet.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "sigurnet.core.context_processors.site",
            ],
        },
    },
]

# --- Data ----------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'sigurnet.sqlite3'}",
        # 0: a new connection per request; Django advises against persistent ones under ASGI.
        conn_max_age=env_int("SIGURNET_DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
# On PostgreSQL each app process keeps a small pool of connections (psycopg's pool): opening a
# connection per request cost more than the request itself (docs/performance.md).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "SIGURNET_DB_POOL", True
):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool replaces persistent connections
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env_int("SIGURNET_DB_POOL_SIZE", 8),
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "sigurnet.core.cache.SharedPoolRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "sigurnet",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "sigurnet:channels"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Celery: Redis broker when REDIS_URL is set; otherwise tasks run in-process (quick start).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is delivered again, not lost
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")

# --- Authentication ------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:dashboard"
LOGOUT_REDIRECT_URL = "staff:login"

# Wrong passwords lock a username on the client's address (an IPv6 client's /64) for a while:
# someone elsewhere cannot lock the real user out. An administrator can unlock it earlier
# (python -m sigurnet axes_reset_username NAME). On top, a slower throttle per username from
# all addresses together (sigurnet.core.auth.LOGIN_THROTTLE) bounds guessing from many addresses.
AXES_FAILURE_LIMIT = env_int("SIGURNET_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("SIGURNET_LOGIN_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "sigurnet.core.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "sigurnet.core.net.client_network"
# A username that belongs to no account (often a password typed in the wrong field) is kept
# only as a keyed hash in the lockout records; successful sign-ins are the audit trail's job.
AXES_USERNAME_CALLABLE = "sigurnet.core.auth.recorded_username"
# An attempt with a valid device cookie (sigurnet.core.auth.trusted_device) is neither locked on
# the address nor counted there, nor by the per-username throttle; its cookie has its own lock.
AXES_WHITELIST_CALLABLE = "sigurnet.core.auth.is_trusted_attempt"
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
SIGURNET_LOGIN_FAILURES_PER_USERNAME_PER_HOUR = env_int(
    "SIGURNET_LOGIN_FAILURES_PER_USERNAME_PER_HOUR", 50
)
# How long a device cookie (given after a complete sign-in, renewed at each) stays valid.
SIGURNET_DEVICE_COOKIE_DAYS = env_int("SIGURNET_DEVICE_COOKIE_DAYS", 90)

OTP_TOTP_ISSUER = os.environ.get("SIGURNET_OTP_ISSUER", "Sigurnet")
OTP_TOTP_THROTTLE_FACTOR = 1  # wrong codes in a row: wait 1, 2, 4, 8 ... seconds
# ... but never longer than this (sigurnet.core.auth.cap_code_throttle), so that someone who has
# the password cannot keep the real user's second factor blocked for ever.
SIGURNET_OTP_THROTTLE_MAX_SECONDS = env_int("SIGURNET_OTP_THROTTLE_MAX_SECONDS", 300)
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # nobody reads a colleague's TOTP secret or backup codes

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SIGURNET_SESSION_MAX_AGE", 8 * 3600)
# A staff sign-in lasts at most this long, however active (StaffAccessMiddleware).
SIGURNET_STAFF_SESSION_MAX_HOURS = env_int("SIGURNET_STAFF_SESSION_MAX_HOURS", 10)
# Sessions live in the database: an outage of Redis must not take the report form down.
SESSION_ENGINE = "sigurnet.core.sessions"
# Staff sessions end after this many minutes without a request (see StaffAccessMiddleware).
SIGURNET_STAFF_IDLE_MINUTES = env_int("SIGURNET_STAFF_IDLE_MINUTES", 30)

# --- Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("SIGURNET_DEFAULT_LANGUAGE", "en")
LANGUAGES = [
    ("en", _("English")),
    ("sr-latn", _("Serbian (Latin)")),
    ("sr", _("Serbian (Cyrillic)")),
    ("bs", _("Bosnian")),
]
# How each language names itself, for the language switch.
LANGUAGE_SELF_NAMES = {
    "en": "English",
    "sr-latn": "Srpski (latinica)",
    "sr": "Српски (ћирилица)",
    "bs": "Bosanski",
}
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("SIGURNET_TIME_ZONE", "Europe/Belgrade")

# --- Static and media files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("SIGURNET_STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("SIGURNET_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Mail ----------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
# The outbox (core/outbox.py): how long a send task's claim on a message holds (far longer than
# one send: EMAIL_TIMEOUT per SMTP step), and how often the sweep looks for unsent messages.
SIGURNET_OUTBOX_CLAIM_SECONDS = env_int("SIGURNET_OUTBOX_CLAIM_SECONDS", 300)
SIGURNET_OUTBOX_SWEEP_SECONDS = env_int("SIGURNET_OUTBOX_SWEEP_SECONDS", 60)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "sigurnet@localhost")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- Security headers ----------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Reported URLs and staff pages must never leak to other sites through the Referer header.
# Not "no-referrer": with it, browsers send "Origin: null" on form posts, and Django's CSRF
# check (rightly) refuses them.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# A monitor may ask the app server directly, over plain HTTP: /healthz says only "ok" or "fail".
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("SIGURNET_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SIGURNET_TRUSTED_PROXIES = env_int("SIGURNET_TRUSTED_PROXIES", 0)
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Subdomains and browser preload lists are an operator's decision (docs/deployment.md), so
# their absence is not reported as a fault by `check --deploy`.
# Lockout is per account (username): rotating addresses, browsers or cookies does not reset it,
# which is what axes.W006 warns about for address-less configurations.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021", "axes.W006"]

# --- Logging -------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Link pages carry a secret in their path: it is written as "/handover/[link]".
    "filters": {"handover_links": {"()": "sigurnet.core.log_filters.RedactHandoverLinks"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["handover_links"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("SIGURNET_LOG_LEVEL", "INFO")},
    "loggers": {
        # Request lines carry URLs; they never include report contents but stay at WARNING.
        "django.request": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# --- Hotline intake --------------------------------------------------------------------------
# Public reports per client address per minute (web form and API together), and accepted
# reports per minute from everyone together. Junk (honeypot, too fast, invalid) never counts
# against the global limit, so a flood of it cannot crowd out real reports.
SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE = env_int("SIGURNET_REPORTS_PER_CLIENT_PER_MINUTE", 30)
SIGURNET_REPORTS_PER_MINUTE = env_int("SIGURNET_REPORTS_PER_MINUTE", 12000)
# Wrong receipt codes in a row from one client before the follow-up page refuses for a while.
SIGURNET_RECEIPT_FAILURES_ALLOWED = env_int("SIGURNET_RECEIPT_FAILURES_ALLOWED", 20)
SIGURNET_RECEIPT_LOCK_MINUTES = env_int("SIGURNET_RECEIPT_LOCK_MINUTES", 15)
# A person needs more than this many seconds to fill in the form; a script does not.
SIGURNET_FORM_MIN_SECONDS = env_int("SIGURNET_FORM_MIN_SECONDS", 3)
SIGURNET_EVIDENCE_MAX_BYTES = env_int("SIGURNET_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
SIGURNET_EVIDENCE_ROOT = Path(os.environ.get("SIGURNET_EVIDENCE_ROOT", VAR_DIR / "evidence"))
# Evidence files on the web form: per client per clock hour, and per report in progress (files,
# and their bytes together; a file replaced or removed still counts).
SIGURNET_UPLOADS_PER_CLIENT_PER_HOUR = env_int("SIGURNET_UPLOADS_PER_CLIENT_PER_HOUR", 10)
SIGURNET_UPLOADS_PER_DRAFT = env_int("SIGURNET_UPLOADS_PER_DRAFT", 5)
SIGURNET_UPLOAD_BYTES_PER_DRAFT = env_int("SIGURNET_UPLOAD_BYTES_PER_DRAFT", 25 * 1024 * 1024)
# Decoding pictures: the largest picture (in pixels; WebP a quarter of it) and how many one
# process decodes at once; the others wait this many seconds, then are asked to try again.
SIGURNET_IMAGE_MAX_PIXELS = env_int("SIGURNET_IMAGE_MAX_PIXELS", 16_000_000)
SIGURNET_IMAGE_DECODES_AT_ONCE = env_int("SIGURNET_IMAGE_DECODES_AT_ONCE", 2)
SIGURNET_IMAGE_DECODE_WAIT_SECONDS = env_int("SIGURNET_IMAGE_DECODE_WAIT_SECONDS", 20)
# How long reports are kept after they are closed (shown to reporters; enforced by a task).
SIGURNET_REPORT_RETENTION_DAYS = env_int("SIGURNET_REPORT_RETENTION_DAYS", 365)
SIGURNET_PUBLIC_BASE_URL = os.environ.get("SIGURNET_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
# Where "Exit this page" (top of every public page) takes the visitor: a neutral page on another
# site. A navigation, not a request the page makes: nothing is loaded from it before the click.
SIGURNET_QUICK_EXIT_URL = os.environ.get(
    "SIGURNET_QUICK_EXIT_URL", "https://www.google.com/search?q=vremenska+prognoza"
)
if not SIGURNET_QUICK_EXIT_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("SIGURNET_QUICK_EXIT_URL must be an http:// or https:// address.")
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
CELERY_BEAT_SCHEDULE = {
    # Proof that beat and a worker run (core/health.py: the staff banner and /healthz). One
    # that no worker took within 50 seconds is dropped: the next one is already due.
    "heartbeat": {
        "task": "sigurnet.core.tasks.record_heartbeat",
        "schedule": 60.0,
        "options": {"expires": 50.0},
    },
    "sweep-urgent-report-notices": {
        "task": "sigurnet.hotline.tasks.sweep_urgent_notices",
        "schedule": 120.0,
    },
    "apply-retention": {
        "task": "sigurnet.hotline.tasks.apply_retention",
        "schedule": 6 * 3600.0,
    },
    # The outbox: anything unsent that no task took (broker or worker down) is queued again.
    "sweep-outbox": {
        "task": "sigurnet.core.tasks.sweep_outbox",
        "schedule": float(SIGURNET_OUTBOX_SWEEP_SECONDS),
    },
    "delete-old-outgoing-messages": {
        "task": "sigurnet.core.tasks.delete_old_outgoing_messages",
        "schedule": 24 * 3600.0,
    },
    # Sessions are rows in the database: expired ones are deleted once a day.
    "clear-expired-sessions": {
        "task": "sigurnet.core.tasks.clear_expired_sessions",
        "schedule": 24 * 3600.0,
    },
}
# --- Hotline forwarding: where the content is hosted (docs/hosting-lookups.md) -------------
# DNS servers for the look-ups ("address" or "address:port", "[v6]:port"); empty: the system's
# resolver (/etc/resolv.conf); "off": no DNS look-ups at all (each one is recorded as failed).
SIGURNET_DNS_RESOLVERS = env_list("SIGURNET_DNS_RESOLVERS", "")
SIGURNET_DNS_TIMEOUT = env_int("SIGURNET_DNS_TIMEOUT", 5)  # seconds, per name and record type
# An MMDB file (MaxMind's GeoLite2-ASN format, e.g. DB-IP's free "IP to ASN Lite") that the
# operator supplies; empty: no AS numbers. Read from disk; nothing is downloaded.
SIGURNET_ASN_DATABASE = os.environ.get("SIGURNET_ASN_DATABASE", "")
# An RDAP server asked for the network's abuse address (e.g. https://rdap.db.ripe.net/);
# empty: none asked. Only this server is asked; its redirects are not followed.
SIGURNET_RDAP_URL = os.environ.get("SIGURNET_RDAP_URL", "")
if SIGURNET_RDAP_URL and not SIGURNET_RDAP_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("SIGURNET_RDAP_URL must be an https:// (or http://) address.")
# The forwarding tasks live outside the apps' own tasks modules, which Celery finds alone.
CELERY_IMPORTS = ["sigurnet.hotline.forwarding.tasks"]
CELERY_BEAT_SCHEDULE["sweep-hosting-look-ups"] = {
    "task": "sigurnet.hotline.forwarding.tasks.sweep_hosting_look_ups",
    "schedule": 15 * 60.0,
}


# --- Removal tracking (hotline/forwarding/checks.py, docs/takedown-checks.md) --------------
# Each content item of a forwarded report is checked once per interval (minutes, 60 to 240;
# 0 switches the checks off), until it is removed or this many days after its first check.
SIGURNET_CHECK_INTERVAL_MINUTES = env_int("SIGURNET_CHECK_INTERVAL_MINUTES", 120)
if SIGURNET_CHECK_INTERVAL_MINUTES and not 60 <= SIGURNET_CHECK_INTERVAL_MINUTES <= 240:
    raise ImproperlyConfigured(
        "SIGURNET_CHECK_INTERVAL_MINUTES must be between 60 and 240 (or 0 to switch checks off)."
    )
SIGURNET_CHECK_STOP_AFTER_DAYS = env_int("SIGURNET_CHECK_STOP_AFTER_DAYS", 90)
# Offline checks in a row that confirm a removal.
SIGURNET_CHECK_OFFLINE_CONFIRMATIONS = env_int("SIGURNET_CHECK_OFFLINE_CONFIRMATIONS", 3)
if SIGURNET_CHECK_OFFLINE_CONFIRMATIONS < 1 or SIGURNET_CHECK_STOP_AFTER_DAYS < 1:
    raise ImproperlyConfigured(
        "SIGURNET_CHECK_OFFLINE_CONFIRMATIONS and SIGURNET_CHECK_STOP_AFTER_DAYS must be 1 or more."
    )
# An HTTP proxy (http://[user:password@]host:port) that every check goes through; empty: direct.
SIGURNET_CHECK_PROXY = os.environ.get("SIGURNET_CHECK_PROXY", "")
if SIGURNET_CHECK_PROXY and not SIGURNET_CHECK_PROXY.startswith("http://"):
    raise ImproperlyConfigured("SIGURNET_CHECK_PROXY must be an http://host:port address.")
# A browser's user agent: a checker that names itself can be shown a false "not found".
SIGURNET_CHECK_USER_AGENT = os.environ.get(
    "SIGURNET_CHECK_USER_AGENT",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
)
SIGURNET_CHECK_CONNECT_TIMEOUT = env_int("SIGURNET_CHECK_CONNECT_TIMEOUT", 5)
SIGURNET_CHECK_READ_TIMEOUT = env_int("SIGURNET_CHECK_READ_TIMEOUT", 10)
# Checks in flight at once (threads of the worker that runs the task).
SIGURNET_CHECK_CONCURRENCY = env_int("SIGURNET_CHECK_CONCURRENCY", 32)
# Off: an address that resolves to loopback, private or link-local ranges is not checked
# (a report must not make the platform probe its own network). Tests turn it on for loopback.
SIGURNET_CHECK_ALLOW_PRIVATE_ADDRESSES = env_bool("SIGURNET_CHECK_ALLOW_PRIVATE_ADDRESSES", False)
# Celery finds only each app's tasks.py; the forwarding flow's task modules are named here.
CELERY_IMPORTS = [*CELERY_IMPORTS, "sigurnet.hotline.forwarding.check_tasks"]
if SIGURNET_CHECK_INTERVAL_MINUTES:
    # Every 5 minutes beat looks for items whose own next check is due (one interval after
    # their last): the load spreads over the interval, and a new item waits minutes, not hours.
    CELERY_BEAT_SCHEDULE["recheck-content-items"] = {
        "task": "hotline.forwarding.recheck_due_items",
        "schedule": 300.0,
    }
# --- Handovers and dispatches (core/handover.py, hotline/forwarding/) -----------------------
# A signed link (to acknowledge a dispatch or referral without an account) works this many
# days after it was made; requests to link pages per client per minute.
SIGURNET_HANDOVER_LINK_DAYS = env_int("SIGURNET_HANDOVER_LINK_DAYS", 30)
SIGURNET_HANDOVER_REQUESTS_PER_CLIENT_PER_MINUTE = env_int(
    "SIGURNET_HANDOVER_REQUESTS_PER_CLIENT_PER_MINUTE", 30
)
# Hours after sending by which a dispatch should be acknowledged, per kind, where they differ
# from the built-in ones (hotline.models.DISPATCH_ACK_HOURS): "police=72,takedown=24".
DISPATCH_KINDS = ("police", "prosecutor", "partner_hotline", "takedown", "platform", "authority")


def _hours_per_kind(name: str) -> dict[str, int]:
    hours: dict[str, int] = {}
    for part in env_list(name, ""):
        kind, _sep, value = part.partition("=")
        kind = kind.strip()
        if kind not in DISPATCH_KINDS or not value.strip().isdigit() or int(value) < 1:
            raise ImproperlyConfigured(
                f"{name}: {part!r} is not kind=hours with a kind among {', '.join(DISPATCH_KINDS)}"
            )
        hours[kind] = int(value)
    return hours


SIGURNET_DISPATCH_ACK_HOURS = _hours_per_kind("SIGURNET_DISPATCH_ACK_HOURS")
CELERY_BEAT_SCHEDULE["send-due-dispatches"] = {
    # Records what the outbox sent, and sends queued dispatches whose time has come.
    "task": "sigurnet.hotline.forwarding.dispatch_tasks.send_due_dispatches",
    "schedule": 60.0,
}
# The notice-and-takedown schedule of notices to hosts and platforms
# (hotline/forwarding/takedown.py, docs/forwarding.md): the first notice goes this many minutes
# after the report is forwarded (time for the police to ask for a hold; 0: at once, after the
# check), a reminder every so many hours while the content is online, and an escalation to
# the partner hotline or the police this many days after the first notice (0: never).
SIGURNET_TAKEDOWN_DELAY_MINUTES = env_int("SIGURNET_TAKEDOWN_DELAY_MINUTES", 60)
if not 0 <= SIGURNET_TAKEDOWN_DELAY_MINUTES <= 1440:
    raise ImproperlyConfigured("SIGURNET_TAKEDOWN_DELAY_MINUTES must be between 0 and 1440.")
SIGURNET_TAKEDOWN_REMINDER_HOURS = env_int("SIGURNET_TAKEDOWN_REMINDER_HOURS", 24)
if not 1 <= SIGURNET_TAKEDOWN_REMINDER_HOURS <= 720:
    raise ImproperlyConfigured("SIGURNET_TAKEDOWN_REMINDER_HOURS must be between 1 and 720.")
SIGURNET_TAKEDOWN_ESCALATE_AFTER_DAYS = env_int("SIGURNET_TAKEDOWN_ESCALATE_AFTER_DAYS", 7)
if not 0 <= SIGURNET_TAKEDOWN_ESCALATE_AFTER_DAYS <= 90:
    raise ImproperlyConfigured(
        "SIGURNET_TAKEDOWN_ESCALATE_AFTER_DAYS must be between 0 (never) and 90."
    )
CELERY_BEAT_SCHEDULE["takedown-schedule"] = {
    # Sends the notices whose time has come, reminders and escalations (each in a task of
    # its own, which checks the items first), and closes notices whose content was removed.
    "task": "sigurnet.hotline.forwarding.dispatch_tasks.run_takedown_schedule",
    "schedule": 60.0,
}

# E-mail intake (python -m sigurnet ingest_email): a Maildir path, or an IMAP(S) mailbox as
# imaps://user:password@host:993/INBOX; a CA file for a private IMAP certificate.
SIGURNET_INTAKE_MAILDIR = os.environ.get("SIGURNET_INTAKE_MAILDIR", "")
SIGURNET_INTAKE_IMAP_URL = os.environ.get("SIGURNET_INTAKE_IMAP_URL", "")
SIGURNET_INTAKE_IMAP_CAFILE = os.environ.get("SIGURNET_INTAKE_IMAP_CAFILE", "")
