"""Celery tasks: an id in, reload, call one service. Services check state, so a redelivered task is a no-op."""

import uuid

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from . import services
from .books import risk_usage_verify as risk_usage_verify_books
from .services import risk_actions

_RECONCILE_LOCK = "orders:reconcile:running"


@shared_task(name="orders.tasks.broker_place_order", acks_late=True)
def broker_place_order(order_id: int) -> None:
    services.order_submit(order_id=order_id)


@shared_task(name="orders.tasks.broker_modify_order", acks_late=True)
def broker_modify_order(order_id: int) -> None:
    services.order_modify_submit(order_id=order_id)


@shared_task(name="orders.tasks.broker_cancel_order", acks_late=True)
def broker_cancel_order(order_id: int) -> None:
    services.order_cancel_submit(order_id=order_id)


@shared_task(name="orders.tasks.outbox_sweep")
def outbox_sweep() -> dict:
    return services.orders_outbox_sweep()


@shared_task(name="orders.tasks.reconcile")
def reconcile() -> dict:
    # One run at a time across workers (beat, and every worker's start): each reads every live
    # account's order book, and those reads are rate-limited at the broker. The run holds a lease,
    # renewed after each account, so a worker killed in the middle holds reconciliation up for at
    # most one lease, never the longest a whole run could take.
    lease, token = settings.RECONCILE_LEASE_SECONDS, uuid.uuid4().hex
    if not cache.add(_RECONCILE_LOCK, token, timeout=lease):
        return {"skipped": 1}

    def renew() -> None:
        if cache.get(_RECONCILE_LOCK) == token:
            cache.touch(_RECONCILE_LOCK, lease)

    try:
        return services.orders_reconcile(renew=renew)
    finally:
        if cache.get(_RECONCILE_LOCK) == token:  # not a lease another run took after ours ran out
            cache.delete(_RECONCILE_LOCK)


@shared_task(name="orders.tasks.expire_day_orders")
def expire_day_orders() -> int:
    return services.orders_expire_day()


@shared_task(name="orders.tasks.square_off_mis")
def square_off_mis() -> int:
    cancelled = services.mis_orders_cancel()
    # Give the cancellations a moment to settle before closing what is left.
    square_off_mis_close.apply_async(countdown=5)
    return cancelled


@shared_task(name="orders.tasks.square_off_mis_close")
def square_off_mis_close() -> int:
    return services.mis_positions_close()


@shared_task(name="orders.tasks.risk_daily_loss_sweep")
def risk_daily_loss_sweep() -> dict:
    return risk_actions.risk_daily_loss_sweep()


@shared_task(name="orders.tasks.risk_usage_verify")
def risk_usage_verify() -> list[int]:
    return risk_usage_verify_books()
