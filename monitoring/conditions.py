"""Named alert conditions. Apps register theirs in AppConfig.ready; this module imports none of them.

A condition is a function returning a number (a count, a percentage, an age in
seconds); an AlertRule names one by key and fires while the number is above the
rule's threshold. Conditions that need no domain data (heartbeats, queues) live here.
"""

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import caches

from core import clock

Condition = Callable[[], float | int | Decimal]


@dataclass(frozen=True, slots=True)
class Registered:
    fn: Condition
    label: str


_conditions: dict[str, Registered] = {}


def register_condition(key: str, fn: Condition, label: str = "") -> None:
    _conditions[key] = Registered(fn, label or key)


def condition_choices() -> list[tuple[str, str]]:
    return sorted((key, f"{key}: {r.label}") for key, r in _conditions.items())


def condition_value(key: str) -> Decimal:
    """The condition's current value; raises KeyError for a key nobody registered."""
    value = _conditions[key].fn()
    return Decimal(str(value)).quantize(Decimal("0.0001"))


# --- the conditions monitoring owns ----------------------------------------------------------

# An age reported when a heartbeat was never seen: "very stale", above any sensible threshold.
NEVER_SEEN_SECONDS = 10**6


def heartbeat_age(kind: str) -> float:
    beat = caches[settings.HEALTH_HEARTBEAT_CACHE].get(f"heartbeat:{kind}")
    if beat is None:
        return NEVER_SEEN_SECONDS
    return max(0.0, round(clock.now().timestamp() - beat["at"], 1))


def queue_backlog() -> int:
    """Messages waiting in the Celery queues (the largest one), read through the broker connection."""
    from celery import current_app as app  # the project's app (trading/celery.py), without importing it

    sizes = [0]
    with app.connection_for_read() as conn:
        channel = conn.default_channel
        for queue in settings.ALERT_BACKLOG_QUEUES:
            with suppress(Exception):  # a queue nobody declared yet holds nothing
                sizes.append(channel.queue_declare(queue=queue, passive=True).message_count)
    return max(sizes)
