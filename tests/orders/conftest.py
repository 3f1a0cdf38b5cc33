from datetime import UTC, datetime
from decimal import Decimal

import pytest

from marketdata.demo import demo_instruments_import
from marketdata.models import Instrument
from marketdata.quotes import quotes_publish
from marketdata.services import market_state_flush
from marketdata.ticks import QuoteRow
from orders.services import account_open
from orders.validation import OrderParams
from tests.accounts.factories import UserFactory


@pytest.fixture
def market(db):
    """The demo instruments, with fresh quotes for a few of them."""
    demo_instruments_import()
    set_quote("NSE", "SBIN-EQ", "800.00", bid="799.95", ask="800.05")
    set_quote("NSE", "INFY-EQ", "1500.00", bid="1499.90", ask="1500.10")
    set_quote("NFO", "NIFTY29DEC26FUT", "26000.00", bid="25999.00", ask="26001.00")
    return {i.symbol: i for i in Instrument.objects.all()}


def set_quote(
    exchange: str, symbol: str, ltp: str, *, bid: str | None = None, ask: str | None = None, at: datetime | None = None
):
    """Move the market the way the feed does: the database row and the caches."""
    instrument = Instrument.objects.get(exchange=exchange, symbol=symbol)
    now = at or datetime.now(UTC)
    row = QuoteRow(
        instrument.id,
        Decimal(ltp),
        Decimal(bid) if bid else None,
        Decimal(ask) if ask else None,
        None,
        None,
        None,
        Decimal(ltp),
        0,
        now.timestamp(),
    )
    market_state_flush(quotes=[row], candles=[])
    quotes_publish([row])
    return instrument


@pytest.fixture
def trader(db):
    user = UserFactory()
    account_open(user=user, starting_funds=Decimal("1000000"), always_open=True)
    return user


def params(side="BUY", quantity=10, order_type="MARKET", product="CNC", validity="DAY", price=None, trigger=None):
    return OrderParams(
        side=side,
        quantity=quantity,
        order_type=order_type,
        product=product,
        validity=validity,
        price=None if price is None else Decimal(str(price)),
        trigger_price=None if trigger is None else Decimal(str(trigger)),
    )


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a service the way production does: its on-commit callbacks fire (fills are published)."""

    def call(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return call
