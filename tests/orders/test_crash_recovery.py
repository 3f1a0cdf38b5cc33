"""No order lost, none sent twice, when a worker dies at the worst moment (real processes, SIGKILL)."""

import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from brokers.models import PaperOrder
from orders import services
from orders.models import Order, OrderStatus
from tests.conftest import jwt_client

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
BODY = {"exchange": "NSE", "symbol": "SBIN-EQ", "side": "BUY", "quantity": 5, "order_type": "MARKET", "product": "CNC"}


@pytest.fixture(autouse=True)
def _rearm_faults():
    shutil.rmtree(Path(settings.VAR_DIR) / "faults", ignore_errors=True)


def wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def status_of(order_id) -> str:
    return Order.objects.get(id=order_id).status


def reconcile_after_grace(order_id):
    """The clock jumps past the grace period, then the same sweep beat runs every 15 s."""
    submitted_at = Order.objects.get(id=order_id).submitted_at or timezone.now()
    later = submitted_at + timedelta(seconds=settings.ORDER_SUBMIT_GRACE_SECONDS + 1)
    return services.orders_reconcile(now=later)


def test_a_worker_killed_between_commit_and_broker_call_still_sends_the_order_exactly_once(
    market, trader, exclusive_workers
):
    doomed = exclusive_workers(TRADING_FAULTS="order_submit.before_broker_call")
    order_id = jwt_client(trader).post("/api/v1/orders/", BODY, format="json").json()["id"]

    wait_for(lambda: not doomed.alive(), what="the worker to die at the failpoint")
    assert status_of(order_id) == OrderStatus.SUBMITTED  # claimed, never sent
    assert not PaperOrder.objects.exists()

    exclusive_workers()  # a healthy worker comes up
    counts = reconcile_after_grace(order_id)
    assert counts["resent"] == 1
    wait_for(lambda: status_of(order_id) == OrderStatus.FILLED, what="the resent order to fill")

    order = Order.objects.get(id=order_id)
    assert PaperOrder.objects.filter(tag=order.broker_tag).count() == 1
    assert [(e.to_status, e.actor) for e in order.events.all()] == [
        ("NEW", f"user:{trader.username}"),
        ("SUBMITTED", "worker"),
        ("NEW", "reconciler"),
        ("SUBMITTED", "worker"),
        ("FILLED", "broker"),
    ]


def test_a_worker_killed_after_the_exchange_filled_is_adopted_not_resent(market, trader, exclusive_workers):
    doomed = exclusive_workers(TRADING_FAULTS="paper.accepted_before_reporting")
    order_id = jwt_client(trader).post("/api/v1/orders/", BODY, format="json").json()["id"]

    wait_for(lambda: not doomed.alive(), what="the worker to die inside the broker call")
    order = Order.objects.get(id=order_id)
    assert order.status == OrderStatus.SUBMITTED  # we never heard back ...
    paper = PaperOrder.objects.get(tag=order.broker_tag)
    assert paper.status == PaperOrder.Status.COMPLETE  # ... but the exchange filled it

    counts = reconcile_after_grace(order_id)
    assert counts == {"found": 1, "resent": 0, "refreshed": 0, "requests_resent": 0}
    order.refresh_from_db()
    assert (order.status, order.filled_quantity, order.average_price) == (
        OrderStatus.FILLED,
        5,
        paper.average_price,
    )
    assert order.events.last().actor == "reconciler"
    assert PaperOrder.objects.filter(tag=order.broker_tag).count() == 1


def test_an_order_whose_task_was_lost_is_sent_by_the_outbox_sweep(market, trader, exclusive_workers):
    from tests.processes import ensure_clean_broker

    order_id = jwt_client(trader).post("/api/v1/orders/", BODY, format="json").json()["id"]
    ensure_clean_broker()  # the queued message is lost (no worker was running to take it)
    if settings.REDIS_URL:
        from trading.celery import app

        app.control.purge()
    assert status_of(order_id) == OrderStatus.NEW

    exclusive_workers()
    sweep_time = timezone.now() + timedelta(seconds=settings.OUTBOX_RESEND_AFTER_SECONDS + 1)
    assert services.orders_outbox_sweep(now=sweep_time)[OrderStatus.NEW] == 1
    wait_for(lambda: status_of(order_id) == OrderStatus.FILLED, what="the swept order to fill")
    assert PaperOrder.objects.filter(tag=f"T{order_id}").count() == 1
