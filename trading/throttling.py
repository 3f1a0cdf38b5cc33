"""API rate limiting that survives a cache outage."""

import logging

from rest_framework.throttling import UserRateThrottle

logger = logging.getLogger(__name__)


class ResilientUserRateThrottle(UserRateThrottle):
    """DRF's per-user throttle; if the cache (Redis) is down it lets requests through.

    Refusing every request because the rate limiter's storage is down would turn
    a Redis outage into a full API outage.
    """

    _warned = False

    def allow_request(self, request, view) -> bool:
        try:
            allowed = super().allow_request(request, view)
        except Exception:
            if not ResilientUserRateThrottle._warned:
                logger.warning("API rate limiter unavailable (cache error); not enforcing limits until it is back")
                ResilientUserRateThrottle._warned = True
            return True
        ResilientUserRateThrottle._warned = False
        return allowed
