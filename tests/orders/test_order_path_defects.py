"""Order-path defects found by the outside probe, each pinned by a test."""

import json
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.test import override_settings

from core import clock
from orders import services
from orders.models import Order, OrderStatus
from orders.services import submission
from tests.conftest import jwt_client
from tests.orders.conftest import params, set_quote

pytestmark = pytest.mark.django_db


def resting_limit_order(trader, market, run, price="790"):
    order, _ = services.order_place(
        user=trader, instrument=market["SBIN-EQ"], params=params(order_type="LIMIT", price=price, product="MIS")
    )
    run(services.order_submit, order_id=order.id)
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN
    return order


def count_broker_calls(monkeypatch, method: str, during_first_call):
    """Wrap the account's real (paper) broker so each call of `method` is counted; the first call runs
    `during_first_call` before it reaches the exchange, as a redelivered task would meanwhile."""
    calls = []
    real_factory = submission.broker_for_account

    def factory(account):
        broker = real_factory(account)
        original = getattr(broker, method)

        def counted(*args, **kwargs):
            calls.append(args)
            if len(calls) == 1:
                during_first_call()
            return original(*args, **kwargs)

        setattr(broker, method, counted)
        return broker

    monkeypatch.setattr(submission, "broker_for_account", factory)
    return calls


def test_a_modify_task_delivered_again_while_the_first_is_at_the_broker_sends_once(market, trader, run, monkeypatch):
    order = resting_limit_order(trader, market, run)
    run(services.order_modify, user=trader, order=order, changes={"price": D("791")})
    calls = count_broker_calls(monkeypatch, "modify_order", lambda: services.order_modify_submit(order_id=order.id))
    run(services.order_modify_submit, order_id=order.id)
    assert len(calls) == 1
    order.refresh_from_db()
    assert (order.status, order.price) == (OrderStatus.OPEN, D("791"))


def test_a_cancel_task_delivered_again_while_the_first_is_at_the_broker_sends_once(market, trader, run, monkeypatch):
    order = resting_limit_order(trader, market, run)
    run(services.order_cancel, user=trader, order=order)
    calls = count_broker_calls(monkeypatch, "cancel_order", lambda: services.order_cancel_submit(order_id=order.id))
    run(services.order_cancel_submit, order_id=order.id)
    assert len(calls) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED


def test_a_cancel_while_a_modification_is_pending_is_accepted_and_sent_after_it(market, trader, run):
    order = resting_limit_order(trader, market, run)
    run(services.order_modify, user=trader, order=order, changes={"price": D("792")})
    response = jwt_client(trader).delete(f"/api/v1/orders/{order.id}/")
    assert response.status_code in (200, 202), response.json()
    assert response.json()["cancel_requested"] is True
    order.refresh_from_db()
    assert order.status == OrderStatus.MODIFY_PENDING and order.queued_cancel
    run(services.order_modify_submit, order_id=order.id)  # the modification is answered ...
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCEL_PENDING  # ... and the cancel goes out right after
    run(services.order_cancel_submit, order_id=order.id)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.reserved_amount == 0
    reasons = [e.reason for e in order.events.order_by("at", "id")]
    assert any("Cancel requested" in r for r in reasons)
    assert reasons.index("Modification confirmed by the broker") < len(reasons) - 1


def test_a_cancel_while_a_modification_is_refused_still_goes_out(market, trader, run, monkeypatch):
    from brokers.base import BrokerRejected

    order = resting_limit_order(trader, market, run)
    run(services.order_modify, user=trader, order=order, changes={"price": D("793")})
    run(services.order_cancel, user=trader, order=order)

    def refuse(*args, **kwargs):
        raise BrokerRejected("modification not allowed now", code="broker_rejected")

    real_factory = submission.broker_for_account

    def factory(account):
        broker = real_factory(account)
        broker.modify_order = refuse
        return broker

    monkeypatch.setattr(submission, "broker_for_account", factory)
    run(services.order_modify_submit, order_id=order.id)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCEL_PENDING


DEAD_REDIS = "redis://127.0.0.1:1/0"
DEAD_CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": DEAD_REDIS,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    },
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dead-redis-test"},
    "ratelimit": {"BACKEND": "core.cache_backends.FailoverCache", "OPTIONS": {"PRIMARY": "default"}},
}


def test_with_redis_down_a_market_order_is_judged_by_the_quotes_own_age(market, trader):
    from marketdata import quotes

    quotes.l2_breaker.close()
    with override_settings(REDIS_URL=DEAD_REDIS, CACHES=DEAD_CACHES):
        quotes.l1_clear()
        fresh, created = services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params())
        assert created and fresh.status == OrderStatus.NEW
        set_quote("NSE", "INFY-EQ", "1500.00", at=clock.now() - timedelta(minutes=5))
        quotes.l1_clear()
        with pytest.raises(Exception) as refused:
            services.order_place(user=trader, instrument=market["INFY-EQ"], params=params())
        assert refused.value.code == "stale_market_price"
    quotes.l2_breaker.close()


def test_prices_in_the_api_are_written_at_the_instruments_precision(market, trader, run):
    order = resting_limit_order(trader, market, run, price="790.05")
    body = jwt_client(trader).get(f"/api/v1/orders/{order.id}/").json()
    assert body["price"] == "790.05"
    filled, _ = services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params(quantity=3))
    run(services.order_submit, order_id=filled.id)
    body = jwt_client(trader).get(f"/api/v1/orders/{filled.id}/").json()
    assert body["average_price"] == "800.05"
    (position,) = jwt_client(trader).get("/api/v1/positions/", {"open": "true"}).json()["results"]
    assert position["average_price"] == "800.05" and position["ltp"] == "800.00"


def test_expiring_day_orders_honours_the_moment_it_is_given(market, trader, run):
    order = resting_limit_order(trader, market, run)
    before_it_was_placed = order.created_at - timedelta(seconds=1)
    assert services.orders_expire_day(now=before_it_was_placed) == 0
    assert Order.objects.get(id=order.id).status == OrderStatus.OPEN
    assert services.orders_expire_day(now=order.created_at + timedelta(seconds=1)) == 1


def test_create_trader_prints_the_cash_it_set_and_can_open_an_always_open_account(capsys):
    from accounts.models import TradingAccount

    call_command("create_trader", "weekend", "--password", "long-enough-pw-1", "--funds", "2,50,000", "--always-open")
    assert "cash ₹2,50,000.00" in capsys.readouterr().out
    assert TradingAccount.objects.get(user__username="weekend").always_open


def test_a_cancel_whose_worker_died_at_the_broker_is_sent_again_after_the_grace_period(market, trader, run, settings):
    order = resting_limit_order(trader, market, run)
    run(services.order_cancel, user=trader, order=order)
    taken_long_ago = clock.now() - timedelta(seconds=settings.ORDER_SUBMIT_GRACE_SECONDS + 1)
    Order.objects.filter(id=order.id).update(request_sent_at=taken_long_ago)  # a worker took it, then died
    assert services.orders_outbox_sweep()[OrderStatus.CANCEL_PENDING] == 0  # taken: not the outbox's to resend
    assert services.orders_reconcile()["requests_resent"] == 1
    run(services.order_cancel_submit, order_id=order.id)
    assert Order.objects.get(id=order.id).status == OrderStatus.CANCELLED


def test_prices_sent_as_json_numbers_are_taken_exactly_as_written(market, trader):
    """700.05 in JSON is read as D("700.05") (never via a float); 1e-1 and 800.0 too; NaN is malformed."""
    client = jwt_client(trader)
    order = {
        "symbol": "SBIN-EQ",
        "exchange": "NSE",
        "side": "BUY",
        "order_type": "LIMIT",
        "product": "CNC",
        "quantity": 1,
    }
    for written, expected in (("790.05", "790.05"), ("790.1000000000000000001", None), ("7.9e2", "790.00")):
        body = json.dumps(order)[:-1] + f', "price": {written}}}'
        response = client.post("/api/v1/orders/", body, content_type="application/json")
        if expected is None:  # finer than the tick: refused, not rounded to 790.10
            assert response.status_code in (400, 422) and response.json()["error"]["code"] == "price_not_tick_multiple"
            continue
        assert response.status_code == 201, response.json()
        assert Order.objects.get(id=response.json()["id"]).price == D(expected)
        assert response.json()["price"] == expected
    body = json.dumps(order)[:-1] + ', "price": NaN}'
    response = client.post("/api/v1/orders/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_json"
