"""Broker calls, circuit breakers and rate-limiter waits (served at /metrics by monitoring).

Labels are the broker ("angelone"), the endpoint's fixed path (never with its
suffix or query), the exception's class name, the account's id for breakers
(one series per connected account) and the rate-limit bucket.
"""

import time
from collections.abc import Callable
from typing import TypeVar

from monitoring import perf_samples
from monitoring.metrics import counter, gauge, histogram

T = TypeVar("T")
BREAKER_STATES = {"closed": 0, "half-open": 1, "open": 2}

calls = counter(
    "broker_calls_total", "Outbound broker calls, by broker, endpoint and outcome.", ("broker", "endpoint", "outcome")
)
errors = counter(
    "broker_call_errors_total", "Broker calls that failed, by error class.", ("broker", "endpoint", "error")
)
call_seconds = histogram("broker_call_duration_seconds", "Time of one outbound broker call.", ("broker", "endpoint"))
breaker_state = gauge(
    "broker_circuit_breaker_state",
    "Circuit breaker per broker and account: 0 closed, 1 half-open, 2 open.",
    ("broker", "account"),
)
ratelimit_waits = counter(
    "broker_rate_limit_waits_total", "Times a broker call waited for a rate-limit slot.", ("bucket",)
)
ratelimit_wait_seconds = counter("broker_rate_limit_wait_seconds_total", "Time spent waiting for slots.", ("bucket",))
ratelimit_refusals = counter(
    "broker_rate_limit_refusals_total", "Calls refused: no slot within the longest wait.", ("bucket",)
)


def timed_call(broker: str, endpoint: str, fn: Callable[[], T]) -> T:
    started = time.perf_counter()
    try:
        result = fn()
    except Exception as exc:
        calls.labels(broker, endpoint, "error").inc()
        errors.labels(broker, endpoint, type(exc).__name__).inc()
        raise
    finally:
        took = time.perf_counter() - started
        call_seconds.labels(broker, endpoint).observe(took)
        perf_samples.record("broker", f"{broker} {endpoint}", took)  # the staff performance page
    calls.labels(broker, endpoint, "ok").inc()
    return result


def breaker_state_set(name: str, state: str) -> None:
    """`name` is the breaker's "<broker>:<account>"."""
    broker, _, account = name.partition(":")
    breaker_state.labels(broker, account).set(BREAKER_STATES.get(state, -1))


def bucket_of(key: str) -> str:
    """Limiter keys are "<broker>:<account>:<bucket>": the bucket is the bounded part."""
    return key.rsplit(":", 1)[-1]


def rate_limit_waited(key: str, seconds: float) -> None:
    ratelimit_waits.labels(bucket_of(key)).inc()
    ratelimit_wait_seconds.labels(bucket_of(key)).inc(seconds)


def rate_limit_refused(key: str) -> None:
    ratelimit_refusals.labels(bucket_of(key)).inc()
