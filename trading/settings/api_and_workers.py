"""The REST API (DRF, JWT, the schema) and Celery."""

from datetime import timedelta

from .core import DEBUG, REDIS_URL, VAR_DIR, env, env_int

# --- REST API -----------------------------------------------------------------

# The largest request body read (API JSON and dashboard forms alike); larger API bodies get a 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BODY_BYTES", 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuth",
        "accounts.authentication.ApiKeyAuth",
        "accounts.authentication.SessionAuth",
    ],
    # Authenticated, and the trading account the request acts on chosen once (X-Trading-Account).
    "DEFAULT_PERMISSION_CLASSES": ["accounts.chosen.AccountChosen"],
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
# Failed authentications (wrong API keys, bad or expired tokens) per address; past it they get 429 `rate_limited`.
AUTH_FAILURE_RATE_LIMIT = env("AUTH_FAILURE_RATE_LIMIT", "20/m")

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 10)),
    # A login's lifetime: rotating a refresh token keeps its expiry (accounts.tokens).
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 1)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
    # Tokens carry a digest of the password hash: a password change refuses every token issued before it.
    "CHECK_REVOKE_TOKEN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Trading platform API",
    "DESCRIPTION": (
        "Versioned REST API for integrators. Authenticate with a JWT from "
        "`POST /api/v1/auth/token/` (header `Authorization: Bearer <access>`), or with an API key "
        "made on the dashboard or at `POST /api/v1/api-keys/` (header `Authorization: Api-Key <key>`; "
        "scopes `read`, `trade` and `account`, paper-only unless `live_allowed`; no key switches paper/live or "
        "manages keys). "
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
# Broker calls on their own queue; research (backtests, sweep chunks, walk-forward windows: minutes each) on
# another, taken by its own worker process, so neither waits behind the other or behind the default queue.
CELERY_TASK_ROUTES = {
    "orders.tasks.broker_*": {"queue": "broker"},
    "strategies.tasks.backtest_run": {"queue": "research"},
    "strategies.tasks.sweep_run_chunk": {"queue": "research"},
    "strategies.tasks.walkforward_run_window": {"queue": "research"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULER = "monitoring.heartbeats:HeartbeatScheduler"  # the default one, plus its heartbeat
CELERY_TIMEZONE = "UTC"
