"""The paper exchange and the backtester fill the same orders alike on the same prices.

Each price is one paper tick and one flat backtest bar (open = high = low =
close). The strategy places its order on bar 0, so it arrives at bar 1's open;
the paper order is placed while the quote is that price, and the later prices
reach the paper engine as ticks. Both must report the same fills: on which
price (index), how many, and at what price.
"""

from decimal import Decimal as D

import pytest

from accounts.selectors import default_account_for
from brokers.base import OrderType, PlaceOrderRequest, Product, Side, Validity
from brokers.models import PaperFill
from brokers.paper.engine import MatchingEngine
from brokers.paper.exchange import PaperBroker
from marketdata.bus import Tick
from orders.services import account_open
from tests.accounts.factories import UserFactory
from tests.marketdata.factories import InstrumentFactory
from tests.orders.conftest import set_quote
from tests.strategies.engine_helpers import run

QUANTITY = 10

# (name, prices, side, order type, limit, trigger)
CASES = [
    ("market buy", [100, 101, 102], "BUY", "MARKET", None, None),
    ("market sell", [100, 99.5, 98], "SELL", "MARKET", None, None),
    ("limit buy marketable on arrival", [100, 98.5, 97], "BUY", "LIMIT", "99", None),
    ("limit buy resting, a price jumps past it", [100, 100.5, 98, 97], "BUY", "LIMIT", "99", None),
    ("limit sell resting, reached exactly", [100, 100, 101, 103], "SELL", "LIMIT", "101", None),
    ("limit buy never reached", [100, 100, 100.5], "BUY", "LIMIT", "99", None),
    ("stop-market buy triggered by a jump", [100, 100, 100.5, 102.35], "BUY", "SL-M", None, "101"),
    ("stop-market sell triggered on arrival", [100, 98.7, 98], "SELL", "SL-M", None, "99"),
    ("stop-limit buy triggered within its limit", [100, 100, 101.2, 101], "BUY", "SL", "101.5", "101"),
    ("stop-limit buy gaps past its limit, then rests", [100, 100, 102, 101.4], "BUY", "SL", "101.5", "101"),
]


def backtest_fills(prices, side, order_type, limit, trigger):
    def place(ctx, bar, s):
        args = {"limit": limit and float(limit), "stop": trigger and float(trigger)}
        (ctx.buy if side == "BUY" else ctx.sell)(QUANTITY, **{k: v for k, v in args.items() if v is not None})

    result, [strategy], _ = run([(p, p, p, p) for p in prices], {0: place}, cash="10000000")
    assert [o.order_type for o in strategy.ctx.orders] == [order_type]
    return [(f.index, abs(f.quantity), f.price) for f in result.book.fills]


def paper_fills(prices, side, order_type, limit, trigger, account_id):
    instrument = InstrumentFactory()
    set_quote(instrument.exchange, instrument.symbol, str(prices[1]))
    request = PlaceOrderRequest(
        tag="SAME",
        exchange=instrument.exchange,
        symbol=instrument.symbol,
        token=instrument.token,
        side=Side(side),
        quantity=QUANTITY,
        order_type=OrderType(order_type),
        product=Product.MIS,
        validity=Validity.DAY,
        price=limit and D(limit),
        trigger_price=trigger and D(trigger),
    )
    PaperBroker(account_id).place_order(request)
    seen = [(1, fill) for fill in PaperFill.objects.all()]
    engine = MatchingEngine(sync_interval=0)
    for index, price in enumerate(prices[2:], start=2):
        before = PaperFill.objects.count()
        engine.on_tick(Tick(instrument.id, D(str(price)), float(index)))
        seen += [(index, fill) for fill in PaperFill.objects.order_by("id")[before:]]
    return [(index, fill.quantity, fill.price) for index, fill in seen]


@pytest.mark.django_db
@pytest.mark.parametrize("name, prices, side, order_type, limit, trigger", CASES, ids=[c[0] for c in CASES])
def test_the_paper_exchange_and_the_backtester_fill_the_same_orders_alike(
    settings, name, prices, side, order_type, limit, trigger
):
    settings.PAPER_SLIPPAGE_BPS = D(0)  # the backtests here run without slippage too
    user = UserFactory()
    account_open(user=user, starting_funds=D("10000000"), always_open=True)
    account_id = default_account_for(user).id
    expected = backtest_fills(prices, side, order_type, limit, trigger)
    assert paper_fills(prices, side, order_type, limit, trigger, account_id) == expected
    assert expected or name == "limit buy never reached"  # every other case does fill
