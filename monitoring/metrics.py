"""Prometheus metrics: the helpers apps define theirs with, and what `/metrics` serves.

Apps own their metrics: each defines them in its own `metrics.py` with
`counter()`, `histogram()` and `gauge()` (monitoring imports no app). Values
live in files under PROMETHEUS_MULTIPROC_DIR (set in settings before
prometheus_client is imported), one set per process, so web, workers and the
feed all count and `/metrics` adds them up.

What is cheaper to read when scraped than to keep up to date (queue depth,
backtests running, the age of the last tick) is a *collector*: a function
registered with `register_collector(name, fn)` that returns metric families,
called at each scrape. Collectors must be quick and bounded; one that fails is
logged and skipped, never failing the scrape.

Label values must come from small, fixed sets (route names, status classes,
error codes), never from user input: every distinct value is a new series.
"""

import logging
import os
from collections.abc import Callable, Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.core import Metric

logger = logging.getLogger(__name__)

# Seconds: from a cached read (ms) to a slow broker call or a fill that waited on the market.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

_collectors: dict[str, Callable[[], Iterable[Metric]]] = {}


def counter(name: str, doc: str, labels: Sequence[str] = ()) -> Counter:
    return Counter(name, doc, labelnames=labels, registry=None)


def histogram(name: str, doc: str, labels: Sequence[str] = (), buckets: Sequence[float] = LATENCY_BUCKETS) -> Histogram:
    return Histogram(name, doc, labelnames=labels, buckets=buckets, registry=None)


def gauge(name: str, doc: str, labels: Sequence[str] = (), mode: str = "mostrecent") -> Gauge:
    """A value set now and then; across processes the most recent write wins (`mode`: prometheus_client's)."""
    return Gauge(name, doc, labelnames=labels, multiprocess_mode=mode, registry=None)


def register_collector(name: str, collect: Callable[[], Iterable[Metric]]) -> None:
    """`collect()` returns metric families (prometheus_client.core.GaugeMetricFamily...) read at scrape time."""
    _collectors[name] = collect


class _ScrapeTimeCollectors:
    def collect(self):
        for name, collect in list(_collectors.items()):
            try:
                yield from collect()
            except Exception:
                logger.exception("metrics collector %s failed; left out of this scrape", name)


def exposition() -> bytes:
    """Every process's samples, added up, and the collectors' values, in Prometheus' text format."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(_ScrapeTimeCollectors())
    return generate_latest(registry)


def mark_process_dead(pid: int | None = None) -> None:
    """Drop a finished process's live gauges (its counters stay: what it counted still happened)."""
    multiprocess.mark_process_dead(pid or os.getpid())
