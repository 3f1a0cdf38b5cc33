"""One pybreaker circuit breaker per (broker, account), its state in Redis when configured."""

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import pybreaker
from django.conf import settings

from .. import metrics as broker_metrics
from ..base import BrokerUnavailable
from ._redis import redis_client
from .outcomes import call_outcome_record

logger = logging.getLogger(__name__)
T = TypeVar("T")
NAMESPACE = "brokers:breaker"

_breakers: dict[tuple[str, str], pybreaker.CircuitBreaker] = {}
_lock = threading.Lock()


def _not_a_health_failure(exc: BaseException) -> bool:
    return not getattr(exc, "broker_health_failure", False)


class _LogTransitions(pybreaker.CircuitBreakerListener):
    def state_change(self, cb, old_state, new_state) -> None:
        broker_metrics.breaker_state_set(cb.name, new_state.name)
        if old_state is not None and old_state.name != new_state.name:
            logger.warning("circuit breaker %s: %s -> %s", cb.name, old_state.name, new_state.name)


def breaker_for(broker: str, account_key: str | int) -> pybreaker.CircuitBreaker:
    key = (broker, str(account_key))
    with _lock:
        breaker = _breakers.get(key)
        if breaker is None:
            name = f"{broker}:{account_key}"
            client = redis_client()
            storage = (
                pybreaker.CircuitRedisStorage(pybreaker.STATE_CLOSED, client, namespace=f"{NAMESPACE}:{name}")
                if client is not None
                else pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
            )
            breaker = _breakers[key] = pybreaker.CircuitBreaker(
                fail_max=settings.BROKER_BREAKER_FAIL_MAX,
                reset_timeout=settings.BROKER_BREAKER_RESET_SECONDS,
                exclude=[_not_a_health_failure],
                listeners=[_LogTransitions()],
                state_storage=storage,
                name=name,
                # The failure that trips the breaker propagates as itself: a write that
                # may have reached the broker must stay "ambiguous", not become "unavailable".
                throw_new_error_on_trip=False,
            )
    return breaker


def guarded(broker: str, account_key: str | int, fn: Callable[[], T]) -> T:
    """Run one outbound call through the breaker; while it is open, fail at once."""
    breaker = breaker_for(broker, account_key)
    try:
        result = breaker.call(fn)
    except pybreaker.CircuitBreakerError as exc:
        raise BrokerUnavailable(
            f"{broker} is not answering for this account; calls are refused for a while.",
            code="broker_unavailable",
        ) from exc
    except Exception as exc:
        call_outcome_record(failed=not _not_a_health_failure(exc))
        raise
    call_outcome_record(failed=False)
    return result


def breaker_state(broker: str, account_key: str | int) -> str:
    """'closed', 'open' or 'half-open': what the dashboard shows as the broker's health."""
    return breaker_for(broker, account_key).current_state


def breaker_reset_all() -> None:
    """Forget this process's breakers and close the shared ones (tests, and after changing settings)."""
    with _lock:
        for breaker in _breakers.values():
            try:
                breaker.close()
            except Exception:  # Redis away: nothing to close
                logger.warning("could not close breaker %s", breaker.name)
        _breakers.clear()


def breaker_refusing(broker: str, account_key: str | int) -> bool:
    """Whether a call now would be refused without trying: open, and not yet due for its trial call."""
    breaker = breaker_for(broker, account_key)
    if breaker.current_state != pybreaker.STATE_OPEN:
        return False
    opened_at = breaker._state_storage.opened_at  # pybreaker's own record (its clock, not ours)
    if opened_at is None:
        return True
    return (datetime.now(UTC) - opened_at).total_seconds() < breaker.reset_timeout
