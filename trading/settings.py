"""Settings for the trading platform.

One file, read from the environment. The defaults are the embedded setup
(SQLite, no Redis, no other server); production differs only through the
environment (see README.md, "Configuration").
"""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TRADING_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Metrics (/metrics): every process (web, workers, feed) writes its samples to files here and /metrics
# adds them up (prometheus_client's multiprocess mode). It must be in the environment before
# prometheus_client is first imported, so it is set here, at the top. `make run` empties it at start.
PROMETHEUS_MULTIPROC_DIR = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(VAR_DIR / "prometheus"))
Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value is None else int(value)


def env_list(name: str, default: list[str]) -> list[str]:
    value = env(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# Off unless asked for: `make run` and `make test` turn it on; production never does.
DEBUG = env_bool("DEBUG", False)


def _installation_key(name: str, generate) -> str:
    """A development key made once for this installation (var/<name>, never committed).

    Several processes start at once under `make run`: the first to link its
    file into place wins and everyone reads that one.
    """
    path = VAR_DIR / name
    if not path.exists():
        temporary = VAR_DIR / f".{name}.{os.getpid()}"
        temporary.write_text(generate())
        temporary.chmod(0o600)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()


def _new_secret_key() -> str:
    import secrets

    return secrets.token_urlsafe(50)


def _new_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


# Keys that were once in the repository: anyone can sign with them, so they are refused everywhere.
_PUBLISHED_KEYS = {"dev-insecure-only-for-local-debug-do-not-deploy", "ZGV2LWZpZWxkLWtleS1vbmx5LWZvci1kZWJ1Zy0wMDA="}

SECRET_KEY = env("SECRET_KEY") or (_installation_key("secret_key", _new_secret_key) if DEBUG else None)
if not SECRET_KEY or SECRET_KEY in _PUBLISHED_KEYS:
    raise ImproperlyConfigured("SECRET_KEY must be set to a long random value when DEBUG is off.")

# Comma-separated Fernet keys: the first encrypts, all decrypt (rotation: put the new key first).
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY") or (
    _installation_key("field_encryption_key", _new_fernet_key) if DEBUG else None
)
if not FIELD_ENCRYPTION_KEY or set(FIELD_ENCRYPTION_KEY.split(",")) & _PUBLISHED_KEYS:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEY must be set (a Fernet key, used for broker credentials) when DEBUG is off."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "auditlog",
    "csp",
    "corsheaders",
    # Ours, lowest layer first (see DESIGN.md).
    "core",
    "monitoring",
    "accounts",
    "marketdata",
    "brokers",
    "orders",
    "strategies",
    "trading",
]

MIDDLEWARE = [
    "monitoring.tracing.RequestIdMiddleware",  # first: every response and log line gets the id
    "accounts.middleware.SecurityContextMiddleware",  # the caller's address and browser, for security events
    "monitoring.http_metrics.RequestMetricsMiddleware",  # request count and latency per route (/metrics)
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "corsheaders.middleware.CorsMiddleware",  # before CommonMiddleware, so a preflight is answered
    "core.middleware.RejectNulMiddleware",
    "core.middleware.ApiConventionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "core.middleware.StyledNotFoundMiddleware",
]

ROOT_URLCONF = "trading.urls"
WSGI_APPLICATION = "trading.wsgi.application"
ASGI_APPLICATION = "trading.asgi.application"

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
                "orders.context_processors.trading_status",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------

DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker, beat and feed share one file: WAL lets readers run beside the
    # writer, IMMEDIATE takes the write lock at BEGIN so concurrent writers queue
    # (for up to `timeout` seconds) instead of failing half-way.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # Tests run the worker and feed in other processes: they need a file, not :memory:.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if IS_POSTGRES:
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 3)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Cache and Redis ----------------------------------------------------------

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "trading"),
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "trading"}}

# Per-process, for what must keep working while Redis is down (rate-limit counts).
CACHES["local"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "local"}
# Rate limits (django-ratelimit) count in Redis, shared by every process, or per process while it is down.
CACHES["ratelimit"] = {"BACKEND": "core.cache_backends.FailoverCache", "OPTIONS": {"PRIMARY": "default"}}
RATELIMIT_USE_CACHE = "ratelimit"
# Worker and beat heartbeats need a cache every process sees: Redis, or files in var/ on the embedded default.
if REDIS_URL:
    HEALTH_HEARTBEAT_CACHE = "default"
else:
    HEALTH_HEARTBEAT_CACHE = "heartbeats"
    CACHES["heartbeats"] = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "heartbeats"),
    }

SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Auth ---------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2 first (new and upgraded hashes); the others still check passwords stored before it.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

DEMO_PASSWORD = env("DEMO_PASSWORD", "demo-pass-123")
# The published demo password: seed_demo refuses it when DEBUG is off.
DEMO_PASSWORD_DEFAULT = "demo-pass-123"  # noqa: S105

# Login attempts per username and per client address in a window; more are refused (429) until it ends.
LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", "5/m")
# After this many failed logins in a row an account is locked (`account_locked`): the first lock lasts
# LOGIN_LOCKOUT_FIRST_SECONDS, each further lock in a row twice the last, at most LOGIN_LOCKOUT_MAX_SECONDS.
LOGIN_LOCKOUT_FAILURES = env_int("LOGIN_LOCKOUT_FAILURES", 10)
LOGIN_LOCKOUT_FIRST_SECONDS = env_int("LOGIN_LOCKOUT_FIRST_SECONDS", 60)
LOGIN_LOCKOUT_MAX_SECONDS = env_int("LOGIN_LOCKOUT_MAX_SECONDS", 3600)

# API keys for integrators (`Authorization: Api-Key <key>`): at most this many unrevoked keys per user.
API_KEYS_PER_USER = env_int("API_KEYS_PER_USER", 20)

# --- Internationalisation: stored in UTC, shown in IST ------------------------

LANGUAGE_CODE = "en-in"
TIME_ZONE = "Asia/Kolkata"
USE_I18N = True
USE_TZ = True

# --- Static files: ours in static/, third-party from npm ----------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/lightweight-charts", NODE_MODULES / "lightweight-charts" / "dist"),
    ("vendor/swagger-ui", NODE_MODULES / "swagger-ui-dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- REST API -----------------------------------------------------------------

# The largest request body read (API JSON and dashboard forms alike); larger API bodies get a 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BODY_BYTES", 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuth",
        "accounts.authentication.ApiKeyAuth",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.ApiRateThrottle"],
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

# API requests per user (per address when anonymous), counted in the shared `ratelimit` cache; a view
# names its group with `rate_limit_group`, the rest count as "api". Over the limit: 429 `rate_limited`.
API_RATE_LIMITS = {
    "api": env("API_RATE_LIMIT", "50/s"),
    "orders": env("ORDER_RATE_LIMIT", "10/s"),  # placing, modifying and cancelling orders
    "token-refresh": env("TOKEN_REFRESH_RATE_LIMIT", "30/m"),  # per address: the caller is not yet known
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 10)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Trading platform API",
    "DESCRIPTION": (
        "Versioned REST API for integrators. Authenticate with a JWT from "
        "`POST /api/v1/auth/token/` (header `Authorization: Bearer <access>`), or with an API key "
        "made on the dashboard or at `POST /api/v1/api-keys/` (header `Authorization: Api-Key <key>`; "
        "scopes `read` and `trade`, paper-only unless `live_allowed`). "
        "Every 4xx response uses one envelope: "
        '`{"error": {"code": "stable_snake_case", "message": "...", "fields": {...}}}`. '
        "Money and prices are decimal strings; times are ISO 8601 in UTC."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "DEFAULT_GENERATOR_CLASS": "core.schema.SchemaGenerator",
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "strategies.models.RunStatus",
        "AccountModeEnum": "accounts.models.TradingAccount.Mode",
        "SweepModeEnum": "strategies.models.SweepMode",
        "StrategyRunStatusEnum": "strategies.models.LiveStatus",
    },
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": "/static/vendor/swagger-ui/favicon-32x32.png",
}

# --- Celery -------------------------------------------------------------------

CELERY_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
else:
    # The embedded broker: messages are files under var/celery, no server needed.
    for sub in ("queue", "processed", "control", "results"):
        (CELERY_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", "atomicfs://")  # core/queue_transport.py
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", f"file://{CELERY_DIR / 'results'}")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DIR / "queue"),
        "data_folder_out": str(CELERY_DIR / "queue"),
        "processed_folder": str(CELERY_DIR / "processed"),
        "control_folder": str(CELERY_DIR / "control"),
        # A worker looks for new files this often (idle: ~1% of a core); with one message prefetched per
        # process it also waits this long between messages: at 0.05 s it kept up with ~33 orders/s only.
        "polling_interval": 0.01,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 30)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 60)
# A task is acknowledged after it ran, one message at a time per process: a
# worker that dies mid-task leaves the message to be redelivered, and services
# check state so that a redelivered task does nothing twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Results are kept only by tasks that are asked for one (the smoke task): storing a
# result per order costs a round trip each way and leaves keys nobody reads.
CELERY_TASK_IGNORE_RESULT = True
# Connections live across tasks; trading/celery.py applies CONN_MAX_AGE around each one.
CELERY_DB_REUSE_MAX = 1_000_000
CELERY_TASK_ROUTES = {"orders.tasks.broker_*": {"queue": "broker"}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "monitoring.heartbeats:HeartbeatScheduler"  # the default one, plus its heartbeat
CELERY_TIMEZONE = "UTC"

# --- Market data --------------------------------------------------------------

QUOTES_L1_TTL_SECONDS = float(env("QUOTES_L1_TTL_SECONDS", "0.5"))
QUOTES_STALE_AFTER_SECONDS = float(env("QUOTES_STALE_AFTER_SECONDS", "10"))
FEED_FLUSH_INTERVAL_SECONDS = float(env("FEED_FLUSH_INTERVAL_SECONDS", "0.25"))

# --- Logging, errors, tracing -------------------------------------------------

LOG_LEVEL = env("LOG_LEVEL", "INFO")
# "plain" (readable, the default) or "json" (one object per line, for a log shipper).
LOG_FORMAT = env("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'plain' or 'json'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "monitoring.logging.RedactSecretsFilter"},
        "request_id": {"()": "monitoring.logging.RequestIdFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {"()": "monitoring.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["redact", "request_id"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- Health (/health/ready and the admin's System health page) ------------------------

# A required check failing makes /health/ready answer 503; the others are reported only.
# Production (Redis) runs worker and beat as their own services: a dead one must be noticed.
# The embedded default also serves tests and one-off commands with no worker, so there they only report.
_HEALTH_REQUIRED_DEFAULT = ["database", "cache", "celery_broker"] + (["worker", "beat"] if REDIS_URL else [])
HEALTH_REQUIRED_CHECKS = env_list("HEALTH_REQUIRED_CHECKS", _HEALTH_REQUIRED_DEFAULT)
HEALTH_HEARTBEAT_INTERVAL_SECONDS = float(env("HEALTH_HEARTBEAT_INTERVAL_SECONDS", "10"))
HEALTH_HEARTBEAT_STALE_SECONDS = float(env("HEALTH_HEARTBEAT_STALE_SECONDS", "60"))

# /metrics: open to METRICS_ALLOWED_IPS (addresses or networks); when METRICS_TOKEN is set, it needs
# `Authorization: Bearer <token>` instead, from anywhere. REMOTE_ADDR is what counts (not X-Forwarded-For).
METRICS_TOKEN = env("METRICS_TOKEN")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])

# Errors and traces to Sentry (or any server speaking its protocol) when a DSN is given; monitoring/sentry.py.
SENTRY_DSN = env("SENTRY_DSN")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", "development" if DEBUG else "production")
SENTRY_TRACES_SAMPLE_RATE = float(env("SENTRY_TRACES_SAMPLE_RATE", "0.0"))
if SENTRY_DSN:
    from monitoring.sentry import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE)

# --- Security (production defaults whenever DEBUG is off) ---------------------

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600)
X_FRAME_OPTIONS = "DENY"
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

# Content Security Policy (django-csp): our own scripts and styles only, no inline script or style,
# no eval, no framing. The dashboard's data travels in <script type="application/json"> blocks,
# which never run. CSP_REPORT_ONLY=1 only reports (to try a change out), CSP_REPORT_URI says where.
_CSP_DIRECTIVES = {
    "default-src": [SELF],
    "script-src": [SELF],
    # The one <style> lightweight-charts injects (its attribution logo), allowed by its hash; a new
    # version of the library changes it, and the browser tests' CSP watch says so.
    "style-src": [SELF, "'sha256-3pRED1tOXas1FXFoPb9TGCjmYe9XQsmO9OV23khV2nY='"],
    "img-src": [SELF, "data:"],
    "font-src": [SELF, "data:"],
    "connect-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}
if env("CSP_REPORT_URI"):
    _CSP_DIRECTIVES["report-uri"] = [env("CSP_REPORT_URI")]
if env_bool("CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _CSP_DIRECTIVES}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP_DIRECTIVES}

# CORS (django-cors-headers): closed unless origins are listed, e.g.
# CORS_ALLOWED_ORIGINS=https://app.example.com,https://tools.example.com. Only the API is shared.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False  # browsers elsewhere send tokens or keys, never our session cookie
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]

# --- Orders and the paper exchange -----------------------------------------------

PAPER_STARTING_FUNDS = env("PAPER_STARTING_FUNDS", "1000000")  # 10,00,000 rupees
PAPER_SLIPPAGE_BPS = float(env("PAPER_SLIPPAGE_BPS", "0"))
MIS_MARGIN_RATE = float(env("MIS_MARGIN_RATE", "0.20"))
NRML_MARGIN_RATE = float(env("NRML_MARGIN_RATE", "0.15"))
# Market and stop-market orders block funds at the worst current price plus this share.
MARKET_ORDER_PRICE_BUFFER = float(env("MARKET_ORDER_PRICE_BUFFER", "0.01"))
ORDER_MAX_QUANTITY = env_int("ORDER_MAX_QUANTITY", 1_000_000)
MARKET_HOLIDAYS = env_list("MARKET_HOLIDAYS", [])
# Outbox: NEW orders older than this are queued again; SUBMITTED/UNKNOWN orders older
# than the grace period are looked up at the broker by their tag.
OUTBOX_RESEND_AFTER_SECONDS = float(env("OUTBOX_RESEND_AFTER_SECONDS", "3"))
ORDER_SUBMIT_GRACE_SECONDS = float(env("ORDER_SUBMIT_GRACE_SECONDS", "90"))
# Reconciliation with the brokers (one order-book read per live account per run).
RECONCILE_INTERVAL_SECONDS = float(env("RECONCILE_INTERVAL_SECONDS", "5"))
FAULTS = set(env_list("TRADING_FAULTS", []))
# Pre-trade risk: the limits a new account starts with (admins tune them per account), sensible for a
# retail trader with a few lakh rupees. Order values: equity and options at the order's price, futures notional.
RISK_DEFAULTS = {
    "max_order_value_equity": Decimal(env("RISK_MAX_ORDER_VALUE_EQUITY", "500000")),
    "max_order_value_futures": Decimal(env("RISK_MAX_ORDER_VALUE_FUTURES", "3000000")),
    "max_order_value_options": Decimal(env("RISK_MAX_ORDER_VALUE_OPTIONS", "200000")),
    "max_quantity_equity": env_int("RISK_MAX_QUANTITY_EQUITY", 10_000),
    "max_quantity_futures": env_int("RISK_MAX_QUANTITY_FUTURES", 1_800),
    "max_quantity_options": env_int("RISK_MAX_QUANTITY_OPTIONS", 1_800),
    "price_band_pct_equity": Decimal(env("RISK_PRICE_BAND_PCT_EQUITY", "5")),
    "price_band_pct_futures": Decimal(env("RISK_PRICE_BAND_PCT_FUTURES", "3")),
    "price_band_pct_options": Decimal(env("RISK_PRICE_BAND_PCT_OPTIONS", "40")),
    "max_open_orders": env_int("RISK_MAX_OPEN_ORDERS", 50),
    "max_position_value": Decimal(env("RISK_MAX_POSITION_VALUE", "5000000")),
    "max_gross_exposure": Decimal(env("RISK_MAX_GROSS_EXPOSURE", "10000000")),
    "max_orders_per_second": env_int("RISK_MAX_ORDERS_PER_SECOND", 10),
    "max_orders_per_minute": env_int("RISK_MAX_ORDERS_PER_MINUTE", 200),
    "max_orders_per_day": env_int("RISK_MAX_ORDERS_PER_DAY", 2_000),
    "daily_loss_limit": Decimal(env("RISK_DAILY_LOSS_LIMIT", "50000")),
    "allowed_exchanges": env_list("RISK_ALLOWED_EXCHANGES", ["NSE", "BSE", "NFO", "BFO"]),
    "allowed_products": env_list("RISK_ALLOWED_PRODUCTS", ["CNC", "MIS", "NRML"]),
    "allowed_instrument_classes": env_list("RISK_ALLOWED_INSTRUMENT_CLASSES", ["equity", "futures", "options"]),
}
# Off only to measure what the checks cost (benchmarks/orders.py); never in production.
RISK_CHECKS_ENABLED = env_bool("RISK_CHECKS_ENABLED", True)

# End of day, IST: MIS square-off and DAY order expiry (Celery beat, weekdays).
MIS_SQUARE_OFF_IST = env("MIS_SQUARE_OFF_IST", "15:20")
DAY_ORDER_EXPIRY_IST = env("DAY_ORDER_EXPIRY_IST", "15:30")


def _ist_to_utc(hhmm: str) -> tuple[int, int]:
    hour, minute = (int(part) for part in hhmm.split(":"))
    total = (hour * 60 + minute - 330) % (24 * 60)  # IST is UTC+05:30, no daylight saving
    return total // 60, total % 60


def _weekday_crontab(hhmm_ist: str):
    from celery.schedules import crontab

    hour, minute = _ist_to_utc(hhmm_ist)
    return crontab(hour=hour, minute=minute, day_of_week="mon-fri")


# --- Alerts for operators and notifications for traders (monitoring/, README "Alerting and notifications") ---
ALERT_EVALUATE_SECONDS = float(env("ALERT_EVALUATE_SECONDS", "15"))
ALERT_BACKLOG_QUEUES = env_list("ALERT_BACKLOG_QUEUES", ["default", "broker"])
ALERT_WEBHOOK_SECRET = env("ALERT_WEBHOOK_SECRET", "")  # signs operator alert webhooks (X-Signature) when set
ALERT_BANNER_CACHE_SECONDS = float(env("ALERT_BANNER_CACHE_SECONDS", "15"))
NOTIFY_HTTP_TIMEOUT_SECONDS = float(env("NOTIFY_HTTP_TIMEOUT_SECONDS", "5"))
# Traders' webhooks may point at private or loopback addresses only when allowed (local development, tests).
NOTIFY_WEBHOOK_ALLOW_PRIVATE = env_bool("NOTIFY_WEBHOOK_ALLOW_PRIVATE", DEBUG)
TELEGRAM_API_URL = env("TELEGRAM_API_URL", "https://api.telegram.org")
TELEGRAM_BOT_TOKEN = env("TELEGRAM_BOT_TOKEN", "")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "trading@localhost")

CELERY_BEAT_SCHEDULE = {
    "orders-outbox-sweep": {"task": "orders.tasks.outbox_sweep", "schedule": 2.0},
    "orders-reconcile": {"task": "orders.tasks.reconcile", "schedule": RECONCILE_INTERVAL_SECONDS},
    "orders-risk-daily-loss": {"task": "orders.tasks.risk_daily_loss_sweep", "schedule": 5.0},
    "strategies-recover": {"task": "strategies.tasks.backtests_recover", "schedule": 60.0},
    "orders-square-off-mis": {"task": "orders.tasks.square_off_mis", "schedule": _weekday_crontab(MIS_SQUARE_OFF_IST)},
    "orders-expire-day": {"task": "orders.tasks.expire_day_orders", "schedule": _weekday_crontab(DAY_ORDER_EXPIRY_IST)},
    "monitoring-alert-rules": {"task": "monitoring.alert_rules_evaluate", "schedule": ALERT_EVALUATE_SECONDS},
}

# --- Brokers: Angel One SmartAPI and the resilience every broker call goes through ------------

ANGELONE_ROOT_URL = env("ANGELONE_ROOT_URL", "https://apiconnect.angelone.in")
ANGELONE_FEED_WS_URL = env("ANGELONE_FEED_WS_URL", "wss://smartapisocket.angelone.in/smart-stream")
ANGELONE_ORDER_WS_URL = env("ANGELONE_ORDER_WS_URL", "wss://tns.angelone.in/smart-order-update")
ANGELONE_CONNECT_TIMEOUT_SECONDS = float(env("ANGELONE_CONNECT_TIMEOUT_SECONDS", "3"))
ANGELONE_READ_TIMEOUT_SECONDS = float(env("ANGELONE_READ_TIMEOUT_SECONDS", "7"))
# Which connected account's feed token `run_feed --source angelone` uses (client code; default: the first connected).
ANGELONE_FEED_CLIENT_CODE = env("ANGELONE_FEED_CLIENT_CODE")
ANGELONE_WS_PING_SECONDS = float(env("ANGELONE_WS_PING_SECONDS", "10"))
ANGELONE_WS_TOKENS_PER_CONNECTION = env_int("ANGELONE_WS_TOKENS_PER_CONNECTION", 1000)
# Per client code, from the published limits ("N/s,N/m,N/h"); order requests are also capped by the regulation.
_ANGELONE_RATE_LIMIT_DEFAULTS = {
    "orders": "9/s,500/m,1000/h",  # placeOrder + modifyOrder + cancelOrder together
    "login": "1/s",
    "tokens": "1/s,1000/h",
    "profile": "3/s",
    "rms": "2/s",
    "orderbook": "1/s",
    "tradebook": "1/s",
    "positions": "1/s",
    "holdings": "1/s",
    "search": "1/s",
    "ltp": "10/s,500/m,5000/h",
    "quote": "10/s,500/m,5000/h",
    "details": "10/s,500/m,5000/h",
    "candles": "3/s,180/m,5000/h",
}
ANGELONE_RATE_LIMITS = {
    bucket: env(f"ANGELONE_RATE_LIMIT_{bucket.upper()}", default)
    for bucket, default in _ANGELONE_RATE_LIMIT_DEFAULTS.items()
}
# Algorithmic orders above this many per second per exchange need a registered algo (SEBI).
ORDER_RATE_REGULATORY_PER_SECOND = env_int("ORDER_RATE_REGULATORY_PER_SECOND", 10)
# A request over the limit waits at most this long for a slot, then is refused with `rate_limited`.
BROKER_RATE_LIMIT_MAX_WAIT_SECONDS = float(env("BROKER_RATE_LIMIT_MAX_WAIT_SECONDS", "2"))
# Windows are this much longer than their nominal second/minute/hour, so that network jitter
# cannot squeeze one request too many into a window as the broker counts it.
BROKER_RATE_LIMIT_MARGIN_SECONDS = float(env("BROKER_RATE_LIMIT_MARGIN_SECONDS", "0.1"))
BROKER_BREAKER_FAIL_MAX = env_int("BROKER_BREAKER_FAIL_MAX", 5)
BROKER_BREAKER_RESET_SECONDS = float(env("BROKER_BREAKER_RESET_SECONDS", "30"))
BROKER_READ_RETRIES = env_int("BROKER_READ_RETRIES", 2)
BROKER_RETRY_BASE_SECONDS = float(env("BROKER_RETRY_BASE_SECONDS", "0.2"))
BROKER_RETRY_MAX_SECONDS = float(env("BROKER_RETRY_MAX_SECONDS", "2"))
# The exchange's identifier for the algorithm behind an order; unregistered algorithms use the generic one.
BROKER_ALGO_ID = env("BROKER_ALGO_ID", "GENERIC")
# How the machine learns its outgoing address (compared with the registered static IP):
# a fixed value, or a URL that answers with the address as plain text.
BROKER_PUBLIC_IP = env("BROKER_PUBLIC_IP")
BROKER_PUBLIC_IP_URL = env("BROKER_PUBLIC_IP_URL", "https://api.ipify.org")
