"""Market data's metrics (served at /metrics by monitoring): the quote cache's hits per level, feed ticks,
and how old the last tick is (read from the feeds' heartbeat rows at scrape time)."""

from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily

from monitoring.metrics import counter

cache_lookups = counter(
    "quote_cache_lookups_total",
    "Quote lookups by cache level (l1: this process, l2: shared) and result.",
    ("level", "result"),
)
ticks = counter("feed_ticks_total", "Ticks the feed processed, by source.", ("source",))

# Bound once: quotes_get is a hot path.
l1_hit, l1_miss = cache_lookups.labels("l1", "hit"), cache_lookups.labels("l1", "miss")
l2_hit, l2_miss = cache_lookups.labels("l2", "hit"), cache_lookups.labels("l2", "miss")


def count(child, n: int) -> None:
    if n:
        child.inc(n)


def last_tick_age_collector():
    from .models import FeedStatus

    family = GaugeMetricFamily(
        "feed_last_tick_age_seconds", "Seconds since the feed's last tick, by source.", labels=["source"]
    )
    now = datetime.now(UTC)
    for source, last_tick_at in FeedStatus.objects.exclude(last_tick_at=None).values_list("source", "last_tick_at"):
        family.add_metric([source], max(0.0, (now - last_tick_at).total_seconds()))
    return [family]
