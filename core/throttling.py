"""API rate limiting: a fixed-window counter per user that survives a cache outage."""

import logging
import time

from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)


class ResilientUserRateThrottle(SimpleRateThrottle):
    """At most N requests per user (or per address when anonymous) in each window.

    One atomic INCR per request, instead of DRF's read-modify-write of a list
    of timestamps, which costs a pickled round trip each way and loses counts
    when requests from several processes interleave. If the cache (Redis) is
    down, requests are let through with one warning: a Redis outage must not
    become an API outage.
    """

    scope = "user"
    _warned = False

    def get_cache_key(self, request, view) -> str:
        who = request.user.pk if request.user and request.user.is_authenticated else self.get_ident(request)
        return f"throttle:{self.scope}:{who}"

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        key = f"{self.get_cache_key(request, view)}:{window}"
        try:
            count = 1 if cache.add(key, 1, self.duration + 1) else cache.incr(key)
        except Exception:
            if not ResilientUserRateThrottle._warned:
                logger.warning("API rate limiter unavailable (cache error); not enforcing limits until it is back")
                ResilientUserRateThrottle._warned = True
            return True
        ResilientUserRateThrottle._warned = False
        if count > self.num_requests:
            self.wait_seconds = (window + 1) * self.duration - now
            return False
        return True

    def wait(self) -> float | None:
        return getattr(self, "wait_seconds", None)
