"""The strategy runner against the real order pipeline (paper broker), stepped by hand: no sleeping loops."""

from datetime import timedelta

import pytest
from django.test import TestCase

from core import events
from orders.models import Order, OrderStatus, Position
from strategies.live.runner import StrategyRunner
from strategies.models import LiveStatus, StrategyRun
from strategies.services import runs as run_services
from tests.conftest import jwt_client
from tests.orders.conftest import market, trader  # noqa: F401 - fixtures
from tests.strategies.runs_helpers import market_clock, submit_new_orders, test_strategies  # noqa: F401

pytestmark = pytest.mark.django_db


def start(user, strategy="test_buy_once", quantity=10, symbols=("NSE:SBIN-EQ",)) -> StrategyRun:
    return run_services.run_create(
        user=user,
        strategy=strategy,
        params={"quantity": quantity} if quantity else {},
        symbols=list(symbols),
        interval="1m",
    )


def run_orders(run) -> list[Order]:
    return list(Order.objects.filter(tag=run.tag).order_by("id"))


@pytest.fixture
def sbin(market):  # noqa: F811
    return market["SBIN-EQ"]


@pytest.fixture
def warm(sbin, market_clock):  # noqa: F811
    """Five closed bars before any run starts: history, never traded."""
    for k in range(-5, 0):
        market_clock.bar(sbin, k)
    return market_clock


def test_a_paper_run_places_tagged_orders_through_the_pipeline_when_a_bar_closes(trader, sbin, warm, test_strategies):  # noqa: F811
    run = start(trader, "test_buy_each_bar")
    runner = StrategyRunner()
    runner.step()
    run.refresh_from_db()
    assert run.status == LiveStatus.RUNNING and run.heartbeat_at == warm.now
    assert run_orders(run) == []  # the bars before it started only warmed it up
    warm.bar(sbin, 0)
    runner.step()
    assert run_orders(run) == []  # bar 0 is still open
    warm.advance()
    runner.step()
    (order,) = run_orders(run)
    assert (order.side, order.quantity, order.order_type, order.source) == ("BUY", 10, "MARKET", "strategy")
    assert order.status == OrderStatus.NEW and order.strategy_link.run_id == run.id
    submit_new_orders(run)
    order.refresh_from_db()
    assert order.status == OrderStatus.FILLED
    book = jwt_client(trader).get("/api/v1/orders/").json()["results"]
    assert [(o["id"], o["tag"]) for o in book] == [(order.id, f"run:{run.id}")]
    runner.step()  # hears of the fill; no new bar, no new order
    assert len(run_orders(run)) == 1
    detail = jwt_client(trader).get(f"/api/v1/strategies/runs/{run.id}/").json()
    assert detail["positions"][0]["quantity"] == 10 and detail["orders"][0]["id"] == order.id


def test_two_runs_on_one_instrument_keep_their_own_positions_and_the_account_holds_the_sum(
    trader,  # noqa: F811
    sbin,
    warm,
    test_strategies,  # noqa: F811
):
    first, second = start(trader, quantity=10), start(trader, quantity=5)
    runner = StrategyRunner()
    runner.step()
    warm.bar(sbin, 0)
    warm.advance()
    runner.step()
    submit_new_orders(first), submit_new_orders(second)
    runner.step()
    ctx = {run_id: next(iter(live.contexts.values())) for run_id, live in runner.loaded.items()}
    assert (ctx[first.id].position, ctx[second.id].position) == (10, 5)
    assert [f.quantity for f in ctx[first.id].strategy.fills] == [10] and ctx[first.id].strategy.fills[0].tag == "entry"
    warm.bar(sbin, 1)
    warm.advance()
    runner.step()  # both hold: neither buys again, neither sees the other's quantity
    assert (len(run_orders(first)), len(run_orders(second))) == (1, 1)
    assert Position.objects.get(account__user=trader, instrument=sbin).net_quantity == 15
    client = jwt_client(trader)
    quantities = [
        client.get(f"/api/v1/strategies/runs/{r.id}/").json()["positions"][0]["quantity"] for r in (first, second)
    ]
    assert quantities == [10, 5]


def test_a_strategy_that_raises_fails_its_run_and_the_runner_goes_on_with_the_others(
    trader,  # noqa: F811
    sbin,
    warm,
    test_strategies,  # noqa: F811
):
    heard = []
    events.subscribe("strategies.run_failed", heard.append)
    try:
        broken, healthy = start(trader, "test_explodes", quantity=None), start(trader, "test_buy_each_bar")
        runner = StrategyRunner()
        with TestCase.captureOnCommitCallbacks(execute=True):
            runner.step()  # the history bars reach on_bar: the broken one raises at once
    finally:
        events._handlers.remove(("strategies.run_failed", heard.append))
    broken.refresh_from_db()
    assert broken.status == LiveStatus.FAILED and "ZeroDivisionError: the strategy divided by zero" in broken.error
    assert broken.stopped_at == warm.now and list(runner.loaded) == [healthy.id]
    assert [(e.run_id, e.strategy) for e in heard] == [(broken.id, "test_explodes")]
    warm.bar(sbin, 0)
    warm.advance()
    runner.step()  # the failed run is not tried again; the healthy one trades
    assert len(run_orders(healthy)) == 1 and run_orders(broken) == []
    assert StrategyRun.objects.get(id=broken.id).status == LiveStatus.FAILED
    assert StrategyRun.objects.get(id=healthy.id).heartbeat_at == warm.now


def test_a_restarted_runner_rebuilds_positions_from_fills_and_places_no_order_twice(
    trader,  # noqa: F811
    sbin,
    warm,
    test_strategies,  # noqa: F811
):
    run = start(trader, "test_buy_each_bar")
    first = StrategyRunner()
    first.step()
    warm.bar(sbin, 0)
    warm.advance()
    first.step()
    submit_new_orders(run)
    first.step()
    bookmark = StrategyRun.objects.get(id=run.id).state
    assert bookmark["trade"] > 0
    # The process dies; the next one finds the run RUNNING, reloads it and replays what it had seen.
    second = StrategyRunner()
    second.step()
    assert len(run_orders(run)) == 1
    assert next(iter(second.loaded[run.id].contexts.values())).position == 10
    # A crash between placing an order and writing the bookmark: the bar is seen again, the order is not placed again.
    StrategyRun.objects.filter(id=run.id).update(
        state={"bars": {}, "trade": 0}
        | {"bars": {"NSE:SBIN-EQ": int((warm.first_minute - timedelta(minutes=1)).timestamp())}}
    )
    third = StrategyRunner()
    third.step()
    assert len(run_orders(run)) == 1
    assert next(iter(third.loaded[run.id].contexts.values())).position == 10  # the fill, heard again, counted once
    warm.bar(sbin, 1)
    warm.advance()
    third.step()
    assert len(run_orders(run)) == 2


def test_a_running_run_without_a_heartbeat_is_shown_lost_and_a_runner_resumes_it(trader, sbin, warm, test_strategies):  # noqa: F811
    run = start(trader)
    StrategyRunner().step()
    client = jwt_client(trader)
    assert client.get(f"/api/v1/strategies/runs/{run.id}/").json()["status"] == "RUNNING"
    warm.advance(minutes=5)  # the runner died: nobody writes the heartbeat
    assert client.get(f"/api/v1/strategies/runs/{run.id}/").json()["status"] == "LOST"
    assert client.get("/api/v1/strategies/runs/").json()["results"][0]["status"] == "LOST"
    assert [r["id"] for r in client.get("/api/v1/strategies/runs/", {"status": "LOST"}).json()["results"]] == [run.id]
    assert client.get("/api/v1/strategies/runs/", {"status": "RUNNING"}).json()["results"] == []
    StrategyRunner().step()
    assert client.get(f"/api/v1/strategies/runs/{run.id}/").json()["status"] == "RUNNING"


def test_stopping_a_run_cancels_its_working_orders_and_the_runner_lets_it_go(trader, sbin, warm, test_strategies):  # noqa: F811
    run = start(trader, "test_buy_each_bar")
    runner = StrategyRunner()
    runner.step()
    warm.bar(sbin, 0)
    warm.advance()
    runner.step()
    (order,) = run_orders(run)
    response = jwt_client(trader).post(f"/api/v1/strategies/runs/{run.id}/stop/")
    assert response.status_code == 200 and response.json()["status"] == "STOPPED"
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    warm.bar(sbin, 1)
    warm.advance()
    runner.step()
    assert runner.loaded == {} and len(run_orders(run)) == 1


def test_a_run_stops_rather_than_trade_on_an_account_that_changed_mode(trader, sbin, warm, test_strategies):  # noqa: F811
    from accounts.models import TradingAccount
    from accounts.selectors import trading_account_cache_clear

    run = start(trader, "test_buy_each_bar")
    runner = StrategyRunner()
    runner.step()
    TradingAccount.objects.filter(user=trader).update(mode="live")
    trading_account_cache_clear()
    runner.step()
    run.refresh_from_db()
    assert run.status == LiveStatus.FAILED and "no longer paper" in run.error


def test_a_database_error_is_not_the_strategys_fault_and_the_run_is_tried_again(
    trader,  # noqa: F811
    sbin,
    warm,
    test_strategies,  # noqa: F811
    monkeypatch,
):
    from django.db import OperationalError

    from orders import services as order_services

    run = start(trader, "test_buy_each_bar")
    runner = StrategyRunner()
    runner.step()
    warm.bar(sbin, 0)
    warm.advance()
    real_place = order_services.order_place

    def down(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(order_services, "order_place", down)
    with pytest.raises(OperationalError):
        runner.step()
    assert StrategyRun.objects.get(id=run.id).status == LiveStatus.RUNNING
    monkeypatch.setattr(order_services, "order_place", real_place)
    runner.step()  # reloaded from its bookmark: bar 0 is traded now, once
    assert len(run_orders(run)) == 1
