"""How many broker calls failed lately (health failures only), counted per minute in the shared cache.

Read by the `broker_error_rate` alert condition. Counting never gets in a call's way:
a cache that is down loses counts, not calls.
"""

import logging

from django.core.cache import cache

from core import clock

logger = logging.getLogger(__name__)
KEEP_SECONDS = 900


def _minute(at: float | None = None) -> int:
    return int((clock.now().timestamp() if at is None else at) // 60)


def call_outcome_record(*, failed: bool) -> None:
    minute = _minute()
    try:
        for kind in ("calls", "failures") if failed else ("calls",):
            key = f"brokers:outcomes:{kind}:{minute}"
            cache.add(key, 0, timeout=KEEP_SECONDS)
            cache.incr(key)
    except Exception:
        logger.debug("could not count a broker call outcome", exc_info=True)


def error_rate_pct(*, minutes: int = 5) -> float:
    """Failed calls as a percentage of all calls in the last `minutes` minutes (0 when there were none)."""
    now = _minute()
    keys = {
        kind: [f"brokers:outcomes:{kind}:{m}" for m in range(now - minutes + 1, now + 1)]
        for kind in ("calls", "failures")
    }
    calls = sum(cache.get_many(keys["calls"]).values())
    failures = sum(cache.get_many(keys["failures"]).values())
    return round(100.0 * failures / calls, 2) if calls else 0.0
