"""Celery tasks: an id in, a service does the work. Services check state, so a redelivered task is a no-op.

Backtests run longer than the platform's default task limits (30 s / 60 s),
so these tasks carry their own (BACKTEST_TIME_LIMIT, 15 minutes by default).
"""

from celery import shared_task

from . import conf, services

LIMITS = {"soft_time_limit": conf.task_time_limit(), "time_limit": conf.task_time_limit() + 30}


@shared_task(name="strategies.tasks.backtest_run", acks_late=True, **LIMITS)
def backtest_run(backtest_id: int) -> None:
    services.backtest_run(backtest_id=backtest_id)


@shared_task(name="strategies.tasks.sweep_run_chunk", acks_late=True, **LIMITS)
def sweep_run_chunk(sweep_id: int, first: int, last: int) -> None:
    services.sweep_run_chunk(sweep_id=sweep_id, first=first, last=last)


@shared_task(name="strategies.tasks.walkforward_run_window", acks_late=True, **LIMITS)
def walkforward_run_window(sweep_id: int, index: int) -> None:
    services.walkforward_run_window(sweep_id=sweep_id, index=index)


@shared_task(name="strategies.tasks.backtests_recover")
def backtests_recover() -> int:
    return services.backtests_recover()
