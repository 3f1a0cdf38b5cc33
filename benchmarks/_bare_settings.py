"""The product settings without the per-request monitoring middleware (request ids and HTTP metrics):
the "off" side of benchmarks/overhead.py. Nothing else differs."""

from trading.settings import *  # noqa: F403

MONITORING_MIDDLEWARE = {"monitoring.tracing.RequestIdMiddleware", "monitoring.http_metrics.RequestMetricsMiddleware"}
MIDDLEWARE = [m for m in MIDDLEWARE if m not in MONITORING_MIDDLEWARE]  # noqa: F405
