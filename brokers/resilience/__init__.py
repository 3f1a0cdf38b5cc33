"""What every outbound broker call goes through, whichever the broker.

- a circuit breaker per broker and account (breaker.py): an account's own
  failures never open it for the others; its state is in Redis when there is
  one, so every process sees the same breaker;
- a rate limiter per account (ratelimit.py), shared by all processes through
  Redis: a request over the limit waits briefly or is refused, never sent;
- retries with exponential backoff and full jitter, for reads only (retry.py):
  a write is never repeated blindly.

A broker marks the exceptions that say "the broker is unhealthy" (network
failures, its internal errors) with `broker_health_failure = True`: only those
count towards opening the breaker; a refused order or a wrong PIN do not.
"""

from .breaker import breaker_for, breaker_refusing, breaker_reset_all, breaker_state, guarded
from .ratelimit import Rate, RateLimitExceeded, limiter, parse_rates
from .retry import retry_read

__all__ = [
    "Rate",
    "RateLimitExceeded",
    "breaker_for",
    "breaker_refusing",
    "breaker_reset_all",
    "breaker_state",
    "guarded",
    "limiter",
    "parse_rates",
    "retry_read",
]
