from datetime import UTC, datetime

from django.conf import settings

from .models import FeedStatus


def feed_freshness_check() -> dict:
    latest = FeedStatus.objects.order_by("-heartbeat_at").first()
    if latest is None:
        raise RuntimeError("no feed has run yet")
    now = datetime.now(UTC)
    heartbeat_age = (now - latest.heartbeat_at).total_seconds()
    tick_age = (now - latest.last_tick_at).total_seconds() if latest.last_tick_at else None
    details = {
        "source": latest.source,
        "heartbeat_age_s": round(heartbeat_age, 1),
        "last_tick_age_s": None if tick_age is None else round(tick_age, 1),
        "instruments": latest.instruments,
    }
    limit = settings.QUOTES_STALE_AFTER_SECONDS
    if heartbeat_age > limit or tick_age is None or tick_age > limit:
        raise RuntimeError(f"feed {latest.source} is silent (last tick {details['last_tick_age_s']} s ago)")
    return details
