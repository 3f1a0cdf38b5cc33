from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from accounts.selectors import default_account_for
from brokers.base import order_updates
from brokers.paper.engine import MatchingEngine
from marketdata.bus import Tick
from orders import services
from orders.models import Funds, Order, OrderStatus, Position
from tests.orders.conftest import params

pytestmark = pytest.mark.django_db


@pytest.fixture
def at(monkeypatch):
    """Set the platform clock (the one thing tests may replace)."""

    def set_clock(ist: str):
        moment = datetime.fromisoformat(ist + "+05:30").astimezone(UTC)
        monkeypatch.setattr("core.clock.now", lambda: moment)

    return set_clock


@pytest.fixture
def regular_trader(trader):
    account = default_account_for(trader)
    account.always_open = False
    account.save(update_fields=["always_open"])
    return trader


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        ("2026-11-24T09:14:59", False),  # Tuesday, before the open
        ("2026-11-24T09:15:00", True),
        ("2026-11-24T15:29:59", True),
        ("2026-11-24T15:30:00", False),
        ("2026-11-28T11:00:00", False),  # Saturday
    ],
)
def test_orders_are_taken_only_in_the_session(market, regular_trader, at, moment, is_open):
    at(moment)
    if is_open:
        order, _ = services.order_place(user=regular_trader, instrument=market["SBIN-EQ"], params=params())
        assert order.status == OrderStatus.NEW
    else:
        with pytest.raises(Exception) as caught:
            services.order_place(user=regular_trader, instrument=market["SBIN-EQ"], params=params())
        assert caught.value.code == "market_closed" and "09:15 to 15:30 IST" in caught.value.message


def test_a_holiday_is_closed(market, regular_trader, at, settings):
    settings.MARKET_HOLIDAYS = ["2026-11-24"]
    at("2026-11-24T11:00:00")
    with pytest.raises(Exception) as caught:
        services.order_place(user=regular_trader, instrument=market["SBIN-EQ"], params=params())
    assert caught.value.code == "market_closed"


def test_an_always_open_paper_account_trades_at_night(market, trader, at):
    at("2026-11-24T23:00:00")
    _, created = services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params())
    assert created


def test_end_of_day_expires_day_orders_and_keeps_filled_ones(market, trader, run):
    waiting, _ = services.order_place(
        user=trader, instrument=market["SBIN-EQ"], params=params(order_type="LIMIT", price="700")
    )
    resting, _ = services.order_place(
        user=trader, instrument=market["SBIN-EQ"], params=params(order_type="LIMIT", price="700")
    )
    filled, _ = services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params())
    run(services.order_submit, order_id=resting.id)
    run(services.order_submit, order_id=filled.id)
    assert run(services.orders_expire_day) == 2
    run(services.order_cancel_submit, order_id=resting.id)
    for order in (waiting, resting, filled):
        order.refresh_from_db()
    assert (waiting.status, resting.status, filled.status) == ("EXPIRED", "EXPIRED", "FILLED")
    assert resting.events.last().reason == "Expired at the end of the day"
    assert Funds.objects.get(account__user=trader).reserved == 0


def test_intraday_square_off_cancels_mis_orders_and_closes_mis_positions(market, trader, run):
    long_mis, _ = services.order_place(
        user=trader, instrument=market["INFY-EQ"], params=params(quantity=4, product="MIS")
    )
    run(services.order_submit, order_id=long_mis.id)
    target, _ = services.order_place(
        user=trader,
        instrument=market["INFY-EQ"],
        params=params(side="SELL", quantity=4, product="MIS", order_type="LIMIT", price="1600"),
    )
    run(services.order_submit, order_id=target.id)
    delivery, _ = services.order_place(
        user=trader, instrument=market["SBIN-EQ"], params=params(quantity=2, product="CNC")
    )
    run(services.order_submit, order_id=delivery.id)

    assert run(services.mis_orders_cancel) == 1
    run(services.order_cancel_submit, order_id=target.id)
    assert run(services.mis_positions_close) == 1
    close = Order.objects.get(tag="square-off")
    run(services.order_submit, order_id=close.id)

    assert Position.objects.get(account__user=trader, instrument=market["INFY-EQ"]).net_quantity == 0
    assert Position.objects.get(account__user=trader, instrument=market["SBIN-EQ"]).net_quantity == 2  # CNC stays
    target.refresh_from_db()
    assert target.status == OrderStatus.CANCELLED and target.events.last().reason == "Intraday square-off"


def test_reconciliation_repairs_a_fill_whose_update_message_was_lost(market, trader, run):
    order, _ = services.order_place(
        user=trader, instrument=market["SBIN-EQ"], params=params(order_type="LIMIT", price="790", product="MIS")
    )
    run(services.order_submit, order_id=order.id)
    engine = MatchingEngine(sync_interval=0)
    listeners = list(order_updates.listeners)
    order_updates.listeners.clear()  # the order-update stream drops this message
    try:
        run(engine.on_tick, tick=Tick(market["SBIN-EQ"].id, D("789"), 1.0, 1))
    finally:
        order_updates.listeners.extend(listeners)
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN  # we missed it

    counts = run(services.orders_reconcile, now=timezone.now() + timedelta(seconds=30))
    order.refresh_from_db()
    assert counts["refreshed"] == 1
    assert (order.status, order.filled_quantity, order.average_price) == (OrderStatus.FILLED, 10, D("790"))
    assert order.events.last().actor == "reconciler"
    # Reconciling again changes nothing: fills are applied once.
    run(services.orders_reconcile, now=timezone.now() + timedelta(seconds=60))
    assert order.trades.count() == 1


def test_a_fill_the_update_stream_failed_to_apply_is_applied_from_the_brokers_answer(market, trader, run):
    """The paper exchange reports a fill to the listeners before it answers; when they fail, the answer says
    it was not reported and the worker applies it itself, once."""
    order, _ = services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params(quantity=3))

    def broken(update):
        raise RuntimeError("listener down")

    listeners = list(order_updates.listeners)
    order_updates.listeners[:] = [broken]  # the orders app's own listener among those that fail
    try:
        run(services.order_submit, order_id=order.id)
    finally:
        order_updates.listeners[:] = listeners
    order.refresh_from_db()
    assert (order.status, order.filled_quantity) == (OrderStatus.FILLED, 3)
    assert order.trades.count() == 1
    assert Position.objects.get(account__user=trader, instrument=market["SBIN-EQ"]).net_quantity == 3


def test_a_fill_the_update_stream_applied_is_applied_once(market, trader, run):
    order, _ = services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params(quantity=3))
    run(services.order_submit, order_id=order.id)
    order.refresh_from_db()
    assert (order.status, order.filled_quantity, order.trades.count()) == (OrderStatus.FILLED, 3, 1)
    assert [e.to_status for e in order.events.all()] == [OrderStatus.NEW, OrderStatus.SUBMITTED, OrderStatus.FILLED]


def test_an_unknown_order_is_looked_up_by_tag_and_takes_the_brokers_state(market, trader, run):
    order, _ = services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params())
    run(services.order_submit, order_id=order.id)
    Order.objects.filter(id=order.id).update(status=OrderStatus.UNKNOWN, filled_quantity=0, average_price=None)
    order.trades.all().delete()
    run(services.orders_reconcile)
    order.refresh_from_db()
    assert order.status == OrderStatus.FILLED and order.trades.count() == 1


# --- One reconciliation at a time, on a lease --------------------------------------------------


def test_a_reconciliation_lease_held_elsewhere_skips_the_run_and_ours_is_renewed_then_released(monkeypatch):
    from django.core.cache import cache

    from orders import tasks

    cache.add(tasks._RECONCILE_LOCK, "a run on another worker", timeout=60)
    assert tasks.reconcile() == {"skipped": 1}
    cache.delete(tasks._RECONCILE_LOCK)

    seen = []

    def reconcile(*, renew):
        held = cache.get(tasks._RECONCILE_LOCK)
        cache.delete(tasks._RECONCILE_LOCK)  # as if the lease had run out meanwhile: renew must not revive it
        renew()
        seen.append((held, cache.get(tasks._RECONCILE_LOCK)))
        cache.add(tasks._RECONCILE_LOCK, "the next run", timeout=60)  # another run takes the free lease
        return {"found": 0}

    monkeypatch.setattr(services, "orders_reconcile", reconcile)
    assert tasks.reconcile() == {"found": 0}
    [(held, after_renew)] = seen
    assert held not in (None, "a run on another worker") and after_renew is None
    assert cache.get(tasks._RECONCILE_LOCK) == "the next run"  # ours ended without deleting theirs
    cache.delete(tasks._RECONCILE_LOCK)


def test_reconciliation_renews_its_lease_once_per_account(market, trader, run):
    renewals = []
    order = services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params(quantity=1))[0]
    Order.objects.filter(id=order.id).update(status=OrderStatus.UNKNOWN)

    services.orders_reconcile(renew=lambda: renewals.append(1))

    assert renewals == [1]
