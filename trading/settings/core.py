"""Core settings: the environment helpers, Django itself, database, caches, auth, static files, security."""

import math
import os
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from core.clock import IST

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# A developer's checkout: `make setup` writes `.env` (DEBUG=1, never committed) so that `python manage.py ...` and
# `pytest` work there without exporting anything. The environment wins over the file; production has no such file,
# so it still refuses to start without its keys. TRADING_ENV_FILE names another file (tests point it nowhere).
ENV_FILE = Path(os.environ.get("TRADING_ENV_FILE") or BASE_DIR / ".env")
load_dotenv(ENV_FILE, override=False)

# Relative paths are taken from the project folder, wherever the command runs (pytest's default is var/test).
VAR_DIR = BASE_DIR / os.environ.get("TRADING_VAR_DIR", "var")
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


def _refuse(name: str, value: str, wanted: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name}={value!r} is not {wanted}.")


def env_int(name: str, default: int) -> int:
    value = env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise _refuse(name, value, "a whole number") from None


def env_float(name: str, default: float) -> float:
    """A duration or a ratio that is not money (seconds, a sample rate)."""
    value = env(name)
    if value is None:
        return float(default)
    try:
        number = float(value)
    except ValueError:
        raise _refuse(name, value, "a number") from None
    if not math.isfinite(number):
        raise _refuse(name, value, "a finite number")
    return number


def env_decimal(name: str, default: str, *, minimum: str = "0", maximum: str | None = None) -> Decimal:
    """Money or a money rate: read once, as Decimal, so no caller converts (or rounds through float) again."""
    value = env(name, default)
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise _refuse(name, value, "a decimal number") from None
    if not number.is_finite():
        raise _refuse(name, value, "a finite decimal number")
    if number < Decimal(minimum) or (maximum is not None and number > Decimal(maximum)):
        bounds = f"at least {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        raise _refuse(name, value, f"a decimal number {bounds}")
    return number


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

# The key of the audit trail's hash chains (HMAC-SHA256, accounts/services/chain.py). It is not in the
# database, so someone who can write there cannot re-hash rows they changed. A separate key from SECRET_KEY:
# rotating that one (sessions, signing) must not break the chains. Changing it means `reseal_audit`.
AUDIT_CHAIN_KEY = env("AUDIT_CHAIN_KEY") or (_installation_key("audit_chain_key", _new_secret_key) if DEBUG else None)
if not AUDIT_CHAIN_KEY or len(AUDIT_CHAIN_KEY) < 32 or AUDIT_CHAIN_KEY in _PUBLISHED_KEYS:
    raise ImproperlyConfigured("AUDIT_CHAIN_KEY must be set to a long random value (32+ characters) when DEBUG is off.")
# Where `verify_audit` keeps the chains' heads: outside the database, where its users cannot write.
AUDIT_ANCHOR_FILE = env("AUDIT_ANCHOR_FILE", str(VAR_DIR / "audit-anchor.json"))

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
    "notifications",
    "risk",
    "orders",
    "strategies",
    "dashboard",
    "stream",
    "trading",
]

MIDDLEWARE = [
    "monitoring.tracing.RequestIdMiddleware",  # first: every response and log line gets the id
    "accounts.middleware.SecurityContextMiddleware",  # the caller's address and browser, for security events
    "monitoring.http_metrics.RequestMetricsMiddleware",  # request count and latency per route (/metrics)
    "django.middleware.security.SecurityMiddleware",
    "dashboard.middleware.StreamCSPMiddleware",  # django-csp's, with the live stream's socket in connect-src
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
                "dashboard.context_processors.trading_status",
                "dashboard.stream.live_stream",
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
CACHE_KEY_PREFIX = env("CACHE_KEY_PREFIX", "trading")
# Redis's pub/sub channels are shared by every database of one server: ours carry this installation's prefix
# and database number, so two installations on one Redis never hear each other's ticks.
REDIS_PUBSUB_PREFIX = f"{CACHE_KEY_PREFIX}:{urlsplit(REDIS_URL).path.strip('/') or '0'}:" if REDIS_URL else ""
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
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

# The live stream's servers hear the platform through Channels' layer: Redis between processes; on the
# embedded default, none crosses a process (the stream reads the database instead; see stream/hub.py).
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # Room for bursts of messages to a stream server (the default is 100 per channel).
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{CACHE_KEY_PREFIX}:asgi", "capacity": 5000},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

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
# The older demo history `seed_demo` leaves to the worker: years of daily candles for every demo instrument and
# sessions of minute candles for the indices (0 and 0: none, as the test suite sets).
DEMO_HISTORY_YEARS = env_int("DEMO_HISTORY_YEARS", 5)
DEMO_HISTORY_MINUTE_DAYS = env_int("DEMO_HISTORY_MINUTE_DAYS", 250)

# Login limits (accounts/services/lockout.py). Attempts per username from one address, and per address
# whatever the username; wrong passwords per username from one address. Over any: 429 until the window ends.
LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", "5/m")
LOGIN_ADDRESS_RATE_LIMIT = env("LOGIN_ADDRESS_RATE_LIMIT", "30/m")
LOGIN_FAILURE_RATE_LIMIT = env("LOGIN_FAILURE_RATE_LIMIT", "10/h")
# This many failed logins since the last success, from at least LOGIN_LOCKOUT_ADDRESSES addresses, lock the
# account for everyone (`account_locked`): the first lock lasts LOGIN_LOCKOUT_FIRST_SECONDS, each further lock
# in a row twice the last, at most LOGIN_LOCKOUT_MAX_SECONDS.
LOGIN_LOCKOUT_FAILURES = env_int("LOGIN_LOCKOUT_FAILURES", 20)
LOGIN_LOCKOUT_ADDRESSES = env_int("LOGIN_LOCKOUT_ADDRESSES", 5)
LOGIN_LOCKOUT_FIRST_SECONDS = env_int("LOGIN_LOCKOUT_FIRST_SECONDS", 60)
LOGIN_LOCKOUT_MAX_SECONDS = env_int("LOGIN_LOCKOUT_MAX_SECONDS", 3600)

# API keys for integrators (`Authorization: Api-Key <key>`): at most this many unrevoked keys per user.
API_KEYS_PER_USER = env_int("API_KEYS_PER_USER", 20)

# --- Internationalisation: stored in UTC, shown in IST ------------------------

LANGUAGE_CODE = "en-in"
TIME_ZONE = IST.key
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
