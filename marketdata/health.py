"""The feed's freshness, registered with monitoring's /health/ready: the age of the last tick."""

from django.conf import settings

from core import clock

from .models import FeedStatus


def feed_freshness_check() -> str:
    latest = FeedStatus.objects.order_by("-heartbeat_at").first()
    if latest is None:
        raise RuntimeError("no feed has run yet")
    now = clock.now()
    heartbeat_age = (now - latest.heartbeat_at).total_seconds()
    tick_age = (now - latest.last_tick_at).total_seconds() if latest.last_tick_at else None
    tick = "no tick yet" if tick_age is None else f"last tick {tick_age:.1f} s ago"
    detail = f"{latest.source}: {tick}, heartbeat {heartbeat_age:.1f} s ago, {latest.instruments} instruments"
    limit = settings.QUOTES_STALE_AFTER_SECONDS
    if heartbeat_age > limit or tick_age is None or tick_age > limit:
        raise RuntimeError(f"silent feed {detail} (limit {limit:g} s)")
    return detail


# An age reported when no feed has ever run: above any sensible threshold.
NEVER_SEEN_SECONDS = 10**6


def feed_age_seconds() -> float:
    """The `feed_stale` alert condition: seconds since the newest feed's last tick (or heartbeat, if older)."""
    latest = FeedStatus.objects.order_by("-heartbeat_at").first()
    if latest is None or latest.last_tick_at is None:
        return NEVER_SEEN_SECONDS
    now = clock.now()
    return round(max((now - latest.heartbeat_at).total_seconds(), (now - latest.last_tick_at).total_seconds()), 1)
