"""API rate limits: django-ratelimit counts in the shared `ratelimit` cache, one group of operations at a time.

Every API request counts against its group's limit for its user (or its address
when nobody is logged in): `orders` for placing, modifying and cancelling
orders, `token-refresh` for rotating refresh tokens, and `api` for the rest. A
view names its group with a `rate_limit_group` attribute; the limits are the
API_RATE_LIMITS setting. The counts live in Redis, so every web process shares
them; while Redis is down each process counts on its own (core.cache_backends):
a limit per process is looser, never absent.
"""

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from core.errors import RateLimited

DEFAULT_GROUP = "api"


def _who(_group: str, request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


def rate_limit_group(view) -> str:
    return getattr(view, "rate_limit_group", DEFAULT_GROUP)


class ApiRateThrottle(BaseThrottle):
    """Over the limit raises `RateLimited` (429 `rate_limited`, Retry-After: the seconds until the window ends)."""

    def allow_request(self, request, view) -> bool:
        group = rate_limit_group(view)
        rate = settings.API_RATE_LIMITS.get(group) or settings.API_RATE_LIMITS[DEFAULT_GROUP]
        usage = get_usage(request, group=f"api-{group}", key=_who, rate=rate, increment=True)
        if usage and usage["should_limit"]:
            wait = max(1, usage["time_left"])
            message = f"Too many requests ({group}: at most {rate}); try again in {wait} s."
            raise RateLimited(message, retry_after=wait)
        return True
