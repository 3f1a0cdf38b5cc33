from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=2)
def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def redis_client():
    """The shared Redis for breaker state and rate limits, or None on the embedded default."""
    return _client(settings.REDIS_URL) if settings.REDIS_URL else None
