"""SmartAPI client for one account: sessions, rate limits, the breaker, retries, typed errors.

Every call: take a rate-limit slot for its endpoint (shared by all processes),
pass the account's circuit breaker, send with timeouts, read the envelope. A
token the broker refuses is renewed once and the call repeated (the gateway
refused it, so nothing was done). Reads are retried with backoff on network
and internal errors; writes never are.
"""

from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import redis
from django.conf import settings

from ..metrics import timed_call
from ..models import BrokerAccount
from ..resilience import RateLimitExceeded, guarded, limiter, parse_rates, retry_read
from ..resilience.ratelimit import Rate
from . import endpoints as ep
from .errors import RateLimited, TokenInvalid
from .session import SessionStore
from .transport import headers, send

BROKER = "angelone"


def request_hold_seconds() -> float:
    """The longest one request can be on its way: its slot counts as in flight until then."""
    return settings.ANGELONE_CONNECT_TIMEOUT_SECONDS + settings.ANGELONE_READ_TIMEOUT_SECONDS


@lru_cache(maxsize=64)
def _rates(text: str, regulatory_per_second: int | None) -> tuple[Rate, ...]:
    rates = parse_rates(text)
    if regulatory_per_second is None:
        return rates
    return tuple(Rate(min(r.limit, regulatory_per_second), 1) if r.seconds == 1 else r for r in rates)


def bucket_rates(bucket: str) -> tuple[Rate, ...]:
    cap = settings.ORDER_RATE_REGULATORY_PER_SECOND if bucket == "orders" else None
    return _rates(settings.ANGELONE_RATE_LIMITS[bucket], cap)


class SmartApiClient:
    def __init__(self, account: BrokerAccount) -> None:
        self.account = account
        self.sessions = SessionStore(self)

    # --- the one way out ---------------------------------------------------------------

    def request(self, endpoint: ep.Endpoint, body: Any = None, *, suffix: str = "") -> Any:
        if endpoint.write:
            return self._with_session(endpoint, body, suffix)
        return retry_read(lambda: self._with_session(endpoint, body, suffix))

    def _with_session(self, endpoint: ep.Endpoint, body: Any, suffix: str) -> Any:
        session = self.sessions.current()
        try:
            return self.send(endpoint, body, suffix=suffix, jwt=session.jwt)
        except TokenInvalid:
            session = self.sessions.renew(session)
            return self.send(endpoint, body, suffix=suffix, jwt=session.jwt)

    def send(self, endpoint: ep.Endpoint, body: Any = None, *, suffix: str = "", jwt: str | None = None) -> Any:
        request_headers = headers(api_key=self.account.api_key, public_ip=self.account.static_ip, jwt=jwt)

        def attempt() -> Any:
            with self._slot(endpoint.bucket):
                return send(self.account.pk, endpoint, body, suffix, request_headers)

        return timed_call(BROKER, endpoint.path, lambda: guarded(BROKER, self.account.pk, attempt))

    @contextmanager
    def _slot(self, bucket: str):
        """A rate-limit slot held while the request is out (the broker counts it when it arrives)."""
        key, rates = f"{BROKER}:{self.account.client_code}:{bucket}", bucket_rates(bucket)
        try:
            slot = limiter.acquire(key, rates, hold=request_hold_seconds())
        except RateLimitExceeded as exc:
            raise RateLimited(f"Too many {bucket} requests for this account; try again shortly.") from exc
        except redis.RedisError as exc:
            # Without the shared counter we cannot know the limit is kept: do not send.
            raise RateLimited("The rate limiter is unavailable; the request was not sent.") from exc
        try:
            yield
        finally:
            limiter.done(key, rates, slot)

    # --- session calls (used by SessionStore, under the account's lock) ------------------

    def send_login(self, *, otp: str) -> Any:
        body = {"clientcode": self.account.client_code, "password": self.account.pin, "totp": otp}
        return self.send(ep.LOGIN, body)

    def send_refresh(self, refresh_token: str, jwt: str) -> Any:
        return self.send(ep.TOKENS, {"refreshToken": refresh_token}, jwt=jwt)

    def login_now(self):
        """Log in afresh whatever the stored state ("log in now" after fixing credentials)."""
        return self.sessions.establish(stale_version=None, force=True)
