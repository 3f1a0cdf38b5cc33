"""Celery tasks of market data: thin, they call one function."""

import logging

from celery import shared_task
from django.conf import settings

from .demo_history import demo_history_extend

logger = logging.getLogger(__name__)


@shared_task(name="marketdata.demo_history_extend")
def demo_history_extend_task() -> int:
    """The demo's older history, generated in the worker so `make run` starts at once (idempotent)."""

    def progress(phase: str, done: int, total: int) -> None:
        if done == total or done % 10 == 0:
            logger.info("demo history: %s candles, %d of %d instruments", phase, done, total)

    rows = demo_history_extend(
        years=settings.DEMO_HISTORY_YEARS, minute_days=settings.DEMO_HISTORY_MINUTE_DAYS, progress=progress
    )
    logger.info("demo history: done, %d candles written", rows)
    return rows
