"""Retries for reads: exponential backoff with full jitter. Never used for writes."""

import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings

T = TypeVar("T")


def _retryable(exc: BaseException) -> bool:
    return bool(getattr(exc, "retryable", False))


def retry_read(fn: Callable[[], T], *, attempts: int | None = None, sleep=time.sleep) -> T:
    """Call `fn`; on an error marked `retryable`, wait a random time up to base * 2^n and try again."""
    retries = settings.BROKER_READ_RETRIES if attempts is None else attempts
    base, cap = settings.BROKER_RETRY_BASE_SECONDS, settings.BROKER_RETRY_MAX_SECONDS
    for attempt in range(retries + 1):
        try:
            return fn()
        except Exception as exc:
            if attempt >= retries or not _retryable(exc):
                raise
            sleep(random.uniform(0, min(cap, base * 2**attempt)))  # noqa: S311 - backoff jitter, not a secret
    raise AssertionError("unreachable")
