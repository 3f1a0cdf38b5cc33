"""Strategy runs in tests: small strategies registered for one test, closed bars made on demand,
and the paper pipeline driven the way the worker drives it (task bodies called directly)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from marketdata.models import Candle
from orders import services as order_services
from orders.models import Order, OrderStatus
from strategies.base import Strategy
from strategies.params import IntParam
from strategies.registry import _registry


class BuyEachBar(Strategy):
    name = "test_buy_each_bar"
    title = "Test: buy on every bar"
    quantity = IntParam(10, min=1, max=10_000)

    def on_bar(self, bar):
        self.ctx.buy(self.quantity)


class BuyOnce(Strategy):
    """Buys `quantity` on its first traded bar, then holds; remembers each fill it heard of."""

    name = "test_buy_once"
    title = "Test: buy once and hold"
    quantity = IntParam(10, min=1, max=10_000)

    def on_start(self):
        self.fills = []
        self.bars = 0

    def on_bar(self, bar):
        self.bars += 1
        if not self.ctx.position and not self.ctx.open_orders:
            self.ctx.buy(self.quantity, tag="entry")

    def on_fill(self, fill):
        self.fills.append(fill)


class Explodes(Strategy):
    name = "test_explodes"
    title = "Test: raises on every bar"

    def on_bar(self, bar):
        raise ZeroDivisionError("the strategy divided by zero")


TEST_STRATEGIES = (BuyEachBar, BuyOnce, Explodes)


@pytest.fixture
def test_strategies():
    for cls in TEST_STRATEGIES:
        _registry[cls.name] = cls
    yield
    for cls in TEST_STRATEGIES:
        _registry.pop(cls.name, None)


class MarketClock:
    """The platform's clock, ten minutes behind the real one (quotes set now stay fresh), moved by the test.

    Minute `k` is the 1m bar starting k minutes after the clock's first minute; it closes when the clock
    has passed its end (and the runner's grace)."""

    def __init__(self) -> None:
        real = datetime.now(UTC).replace(second=0, microsecond=0)
        self.first_minute = real - timedelta(minutes=10)
        self.now = self.first_minute + timedelta(seconds=10)

    def advance(self, minutes: int = 1) -> None:
        self.now += timedelta(minutes=minutes)

    def bar(self, instrument, k: int, *, close: str = "800.00", interval: str = "1m") -> Candle:
        start = self.first_minute + timedelta(minutes=k)
        price = Decimal(close)
        candle, _ = Candle.objects.update_or_create(
            instrument=instrument,
            interval=interval,
            start=start,
            defaults={"open": price, "high": price, "low": price, "close": price, "volume": 100},
        )
        return candle


@pytest.fixture
def market_clock(monkeypatch) -> MarketClock:
    moved = MarketClock()
    monkeypatch.setattr("core.clock.now", lambda: moved.now)
    return moved


def submit_new_orders(run) -> list[Order]:
    """What the worker does with the runner's NEW orders: send them to the paper broker (fills at the quote)."""
    orders = list(Order.objects.filter(tag=f"run:{run.id}", status=OrderStatus.NEW))
    for order in orders:
        with run_on_commit():
            order_services.order_submit(order_id=order.id)
    return orders


class run_on_commit:
    """On-commit callbacks (fill notices) run inside a test transaction too."""

    def __enter__(self):
        from django.test import TestCase

        self.ctx = TestCase.captureOnCommitCallbacks(execute=True)
        return self.ctx.__enter__()

    def __exit__(self, *exc):
        return self.ctx.__exit__(*exc)
