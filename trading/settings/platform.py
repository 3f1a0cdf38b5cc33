"""The platform's own parts: market data, logs and monitoring, orders, alerts and notifications, brokers."""

from django.core.exceptions import ImproperlyConfigured

from .core import DEBUG, REDIS_URL, env, env_bool, env_decimal, env_float, env_int, env_list

# --- Market data --------------------------------------------------------------

QUOTES_L1_TTL_SECONDS = env_float("QUOTES_L1_TTL_SECONDS", 0.5)
QUOTES_STALE_AFTER_SECONDS = env_float("QUOTES_STALE_AFTER_SECONDS", 10)
FEED_FLUSH_INTERVAL_SECONDS = env_float("FEED_FLUSH_INTERVAL_SECONDS", 0.25)

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
HEALTH_HEARTBEAT_INTERVAL_SECONDS = env_float("HEALTH_HEARTBEAT_INTERVAL_SECONDS", 10)
HEALTH_HEARTBEAT_STALE_SECONDS = env_float("HEALTH_HEARTBEAT_STALE_SECONDS", 60)

# /metrics: open to METRICS_ALLOWED_IPS (addresses or networks); when METRICS_TOKEN is set, it needs
# `Authorization: Bearer <token>` instead, from anywhere. REMOTE_ADDR is what counts (not X-Forwarded-For).
METRICS_TOKEN = env("METRICS_TOKEN")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])

# Errors and traces to Sentry (or any server speaking its protocol) when a DSN is given; monitoring/sentry.py.
SENTRY_DSN = env("SENTRY_DSN")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", "development" if DEBUG else "production")
SENTRY_TRACES_SAMPLE_RATE = env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0)
if SENTRY_DSN:
    from monitoring.sentry import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE)

# --- Orders and the paper exchange -----------------------------------------------

# Money and money rates are Decimal here, parsed once: a bad value stops every process at start-up.
PAPER_STARTING_FUNDS = env_decimal("PAPER_STARTING_FUNDS", "1000000")  # 10,00,000 rupees
PAPER_SLIPPAGE_BPS = env_decimal("PAPER_SLIPPAGE_BPS", "0")
# The share of an order's value blocked as margin (CNC always blocks the whole value).
MIS_MARGIN_RATE = env_decimal("MIS_MARGIN_RATE", "0.20", maximum="1")
NRML_MARGIN_RATE = env_decimal("NRML_MARGIN_RATE", "0.15", maximum="1")
# Market and stop-market orders block funds at the worst current price plus this share.
MARKET_ORDER_PRICE_BUFFER = env_decimal("MARKET_ORDER_PRICE_BUFFER", "0.01", maximum="1")
ORDER_MAX_QUANTITY = env_int("ORDER_MAX_QUANTITY", 1_000_000)
MARKET_HOLIDAYS = env_list("MARKET_HOLIDAYS", [])
# Outbox: NEW orders older than this are queued again; SUBMITTED/UNKNOWN orders older
# than the grace period are looked up at the broker by their tag.
OUTBOX_RESEND_AFTER_SECONDS = env_float("OUTBOX_RESEND_AFTER_SECONDS", 3)
ORDER_SUBMIT_GRACE_SECONDS = env_float("ORDER_SUBMIT_GRACE_SECONDS", 90)
# One reconciliation at a time: its lease, renewed after each account, frees this soon after a worker dies in it.
RECONCILE_LEASE_SECONDS = env_float("RECONCILE_LEASE_SECONDS", 60)
# Reconciliation with the brokers (one order-book read per live account per run).
RECONCILE_INTERVAL_SECONDS = env_float("RECONCILE_INTERVAL_SECONDS", 5)
FAULTS = set(env_list("TRADING_FAULTS", []))
# End of day, IST: MIS square-off and DAY order expiry (Celery beat, weekdays).
MIS_SQUARE_OFF_IST = env("MIS_SQUARE_OFF_IST", "15:20")
DAY_ORDER_EXPIRY_IST = env("DAY_ORDER_EXPIRY_IST", "15:30")
# After the expiry: each account's running risk usage is held to its rows (orders/books/verify.py).
RISK_USAGE_VERIFY_IST = env("RISK_USAGE_VERIFY_IST", "15:45")


def _ist_to_utc(hhmm: str) -> tuple[int, int]:
    hour, minute = (int(part) for part in hhmm.split(":"))
    total = (hour * 60 + minute - 330) % (24 * 60)  # IST is UTC+05:30, no daylight saving
    return total // 60, total % 60


def _weekday_crontab(hhmm_ist: str):
    from celery.schedules import crontab

    hour, minute = _ist_to_utc(hhmm_ist)
    return crontab(hour=hour, minute=minute, day_of_week="mon-fri")


# --- Alerts for operators and notifications for traders (monitoring/) ---
ALERT_EVALUATE_SECONDS = env_float("ALERT_EVALUATE_SECONDS", 15)
ALERT_BACKLOG_QUEUES = env_list("ALERT_BACKLOG_QUEUES", ["default", "broker", "research"])
ALERT_WEBHOOK_SECRET = env("ALERT_WEBHOOK_SECRET", "")  # signs operator alert webhooks (X-Signature) when set
ALERT_BANNER_CACHE_SECONDS = env_float("ALERT_BANNER_CACHE_SECONDS", 15)
NOTIFY_HTTP_TIMEOUT_SECONDS = env_float("NOTIFY_HTTP_TIMEOUT_SECONDS", 5)
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
    "orders-risk-usage-verify": {
        "task": "orders.tasks.risk_usage_verify",
        "schedule": _weekday_crontab(RISK_USAGE_VERIFY_IST),
    },
    "monitoring-alert-rules": {"task": "monitoring.alert_rules_evaluate", "schedule": ALERT_EVALUATE_SECONDS},
    "notifications-stream-trim": {"task": "notifications.stream_log_trim", "schedule": 300.0},
}

# --- The live stream (/ws/v1/stream/, the `stream` app) ---
# Private events are kept this long for a client that reconnects and resumes (at least 10 minutes).
STREAM_RESUME_SECONDS = env_int("STREAM_RESUME_SECONDS", 900)
STREAM_MAX_CONNECTIONS_PER_USER = env_int("STREAM_MAX_CONNECTIONS_PER_USER", 10)
# A connection that came without the dashboard's session must send {"op": "auth"} within this many seconds.
STREAM_AUTH_SECONDS = env_float("STREAM_AUTH_SECONDS", 10)
STREAM_MAX_SYMBOLS = env_int("STREAM_MAX_SYMBOLS", 500)  # quote and candle topics per connection
# How often each connection's credential is checked again (expiry, logout, deactivation, lock-out); with
# Redis, a change the platform announces is acted on at once.
STREAM_RECHECK_SECONDS = env_float("STREAM_RECHECK_SECONDS", 15)
# Seconds between the server's pings; a client silent for three of them is closed.
STREAM_PING_SECONDS = env_float("STREAM_PING_SECONDS", 20)
# How often the stream looks for private events, quotes and candles where nothing pushes them to it (the
# embedded default; with Redis it is told at once and this is the safety net).
STREAM_POLL_SECONDS = env_float("STREAM_POLL_SECONDS", 0.2)
# Where the browser opens the stream: STREAM_URL when set (wss://.../ws/v1/stream/ behind a proxy); else the
# page's host on STREAM_PORT (`make run`: the stream process's own port); else the page's own host and port.
STREAM_URL = env("STREAM_URL", "")
STREAM_PORT = env_int("STREAM_PORT", 0)

# --- Brokers: Angel One SmartAPI and the resilience every broker call goes through ------------

ANGELONE_ROOT_URL = env("ANGELONE_ROOT_URL", "https://apiconnect.angelone.in")
ANGELONE_FEED_WS_URL = env("ANGELONE_FEED_WS_URL", "wss://smartapisocket.angelone.in/smart-stream")
ANGELONE_ORDER_WS_URL = env("ANGELONE_ORDER_WS_URL", "wss://tns.angelone.in/smart-order-update")
ANGELONE_CONNECT_TIMEOUT_SECONDS = env_float("ANGELONE_CONNECT_TIMEOUT_SECONDS", 3)
ANGELONE_READ_TIMEOUT_SECONDS = env_float("ANGELONE_READ_TIMEOUT_SECONDS", 7)
# Which connected account's feed token `run_feed --source angelone` uses (client code; default: the first connected).
ANGELONE_FEED_CLIENT_CODE = env("ANGELONE_FEED_CLIENT_CODE")
ANGELONE_WS_PING_SECONDS = env_float("ANGELONE_WS_PING_SECONDS", 10)
ANGELONE_WS_TOKENS_PER_CONNECTION = env_int("ANGELONE_WS_TOKENS_PER_CONNECTION", 1000)
# Per client code, from the published limits ("N/s,N/m,N/h"); order requests are also capped by the regulation.
# Each name is written out so that docs/configuration.md (and its test) can find it.
ANGELONE_RATE_LIMITS = {
    "orders": env("ANGELONE_RATE_LIMIT_ORDERS", "9/s,500/m,1000/h"),  # placeOrder + modifyOrder + cancelOrder together
    "login": env("ANGELONE_RATE_LIMIT_LOGIN", "1/s"),
    "tokens": env("ANGELONE_RATE_LIMIT_TOKENS", "1/s,1000/h"),
    "profile": env("ANGELONE_RATE_LIMIT_PROFILE", "3/s"),
    "rms": env("ANGELONE_RATE_LIMIT_RMS", "2/s"),
    "orderbook": env("ANGELONE_RATE_LIMIT_ORDERBOOK", "1/s"),
    "tradebook": env("ANGELONE_RATE_LIMIT_TRADEBOOK", "1/s"),
    "positions": env("ANGELONE_RATE_LIMIT_POSITIONS", "1/s"),
    "holdings": env("ANGELONE_RATE_LIMIT_HOLDINGS", "1/s"),
    "search": env("ANGELONE_RATE_LIMIT_SEARCH", "1/s"),
    "ltp": env("ANGELONE_RATE_LIMIT_LTP", "10/s,500/m,5000/h"),
    "quote": env("ANGELONE_RATE_LIMIT_QUOTE", "10/s,500/m,5000/h"),
    "details": env("ANGELONE_RATE_LIMIT_DETAILS", "10/s,500/m,5000/h"),
    "candles": env("ANGELONE_RATE_LIMIT_CANDLES", "3/s,180/m,5000/h"),
}
# Algorithmic orders above this many per second per exchange need a registered algo (SEBI).
ORDER_RATE_REGULATORY_PER_SECOND = env_int("ORDER_RATE_REGULATORY_PER_SECOND", 10)
# A request over the limit waits at most this long for a slot, then is refused with `rate_limited`.
BROKER_RATE_LIMIT_MAX_WAIT_SECONDS = env_float("BROKER_RATE_LIMIT_MAX_WAIT_SECONDS", 2)
# Windows are this much longer than their nominal second/minute/hour, for the broker's clock
# (a request's travel time is covered by counting its slot as in flight until it comes back).
BROKER_RATE_LIMIT_MARGIN_SECONDS = env_float("BROKER_RATE_LIMIT_MARGIN_SECONDS", 0.1)
BROKER_BREAKER_FAIL_MAX = env_int("BROKER_BREAKER_FAIL_MAX", 5)
BROKER_BREAKER_RESET_SECONDS = env_float("BROKER_BREAKER_RESET_SECONDS", 30)
BROKER_READ_RETRIES = env_int("BROKER_READ_RETRIES", 2)
BROKER_RETRY_BASE_SECONDS = env_float("BROKER_RETRY_BASE_SECONDS", 0.2)
BROKER_RETRY_MAX_SECONDS = env_float("BROKER_RETRY_MAX_SECONDS", 2)
# The exchange's identifier for the algorithm behind an order; unregistered algorithms use the generic one.
BROKER_ALGO_ID = env("BROKER_ALGO_ID", "GENERIC")
# How the machine learns its outgoing address (compared with the registered static IP):
# a fixed value, or a URL that answers with the address as plain text.
BROKER_PUBLIC_IP = env("BROKER_PUBLIC_IP")
BROKER_PUBLIC_IP_URL = env("BROKER_PUBLIC_IP_URL", "https://api.ipify.org")
