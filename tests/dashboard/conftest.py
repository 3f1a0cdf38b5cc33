"""The dashboard's views through Django's test client: two instruments with fresh quotes, a logged-in trader."""

import time
from decimal import Decimal

import pytest

from marketdata.demo import demo_instruments_import
from marketdata.models import Instrument
from marketdata.services import market_state_flush
from marketdata.ticks import QuoteRow
from orders.services import account_open

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def market(db):
    demo_instruments_import()
    instruments = {i.symbol: i for i in Instrument.objects.filter(symbol__in=["SBIN-EQ", "NIFTY29DEC26FUT"])}
    for symbol, ltp in (("SBIN-EQ", "800.00"), ("NIFTY29DEC26FUT", "26000.00")):
        value = Decimal(ltp)
        row = QuoteRow(instruments[symbol].id, value, value, value, None, None, None, value, 0, time.time())
        market_state_flush(quotes=[row], candles=[])
    return instruments


@pytest.fixture
def trader(client, user):
    account_open(user=user, starting_funds=Decimal("1000000"), always_open=True)
    client.force_login(user)
    return user


def ticket(instrument, **fields):
    """The order ticket's form fields for `instrument`: a MARKET CNC buy of one unless told otherwise."""
    body = {"instrument_id": instrument.id, "side": "BUY", "quantity": "1", "order_type": "MARKET", "product": "CNC"}
    return {**body, **fields}
