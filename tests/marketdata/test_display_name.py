"""Contracts are named as traders write them (NIFTY 29 DEC 26000 CE), wherever the platform names one."""

from datetime import date
from decimal import Decimal

import pytest

from marketdata.models import Instrument
from orders.services import order_place
from orders.services.notices import order_rejection_notify
from tests.marketdata.factories import InstrumentFactory
from tests.orders.conftest import params, trader  # noqa: F401 - a fixture


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"symbol": "SBIN-EQ", "name": "SBIN", "instrument_type": "EQ"}, "SBIN"),
        ({"symbol": "Nifty 50", "name": "NIFTY", "instrument_type": "AMXIDX"}, "Nifty 50"),
        (
            {"symbol": "NIFTY29DEC26FUT", "name": "NIFTY", "instrument_type": "FUTIDX", "expiry": date(2026, 12, 29)},
            "NIFTY 29 DEC FUT",
        ),
        (
            {
                "symbol": "NIFTY29DEC2626000CE",
                "name": "NIFTY",
                "instrument_type": "OPTIDX",
                "expiry": date(2026, 12, 29),
                "strike": Decimal("26000.0000"),
            },
            "NIFTY 29 DEC 26000 CE",
        ),
        (
            {
                "symbol": "NIFTY06JAN2725500PE",
                "name": "NIFTY",
                "instrument_type": "OPTIDX",
                "expiry": date(2027, 1, 6),
                "strike": Decimal("25500"),
            },
            "NIFTY 6 JAN 25500 PE",
        ),
        (
            {
                "symbol": "USDINR29DEC2683.25CE",
                "name": "USDINR",
                "instrument_type": "OPTCUR",
                "expiry": date(2026, 12, 29),
                "strike": Decimal("83.2500"),
            },
            "USDINR 29 DEC 83.25 CE",
        ),
        ({"symbol": "ODDFUT", "name": "", "instrument_type": "FUTSTK", "expiry": date(2026, 12, 29)}, "ODDFUT"),
    ],
)
def test_display_names_read_as_traders_write_them(fields, shown):
    assert Instrument(exchange="NFO", token="1", tick_size=Decimal("0.05"), **fields).display_name == shown


@pytest.fixture
def option(db):
    return InstrumentFactory(
        exchange="NFO",
        symbol="NIFTY29DEC2626000CE",
        name="NIFTY",
        instrument_type="OPTIDX",
        lot_size=65,
        expiry=date(2026, 12, 29),
        strike=Decimal("26000"),
    )


def test_the_ticket_the_instrument_page_and_the_order_book_name_the_contract(client, trader, option):  # noqa: F811
    client.force_login(trader)
    ticket = client.get("/trading/orders/ticket/", {"instrument_id": option.id}).content.decode()
    assert '<span class="ticket-symbol">NIFTY 29 DEC 26000 CE</span>' in ticket
    page = client.get(f"/market/instruments/NFO/{option.symbol}/").content.decode()
    assert "<h1>NIFTY 29 DEC 26000 CE" in page
    order_place(
        user=trader, instrument=option, params=params(quantity=65, order_type="LIMIT", price=100, product="NRML")
    )
    book = client.get("/trading/orders/book/").content.decode()
    assert 'data-testid="order-link">NIFTY 29 DEC 26000 CE</a>' in book


def test_a_rejection_notice_names_the_contract(trader, option):  # noqa: F811
    from notifications.models import Notification

    order, _ = order_place(
        user=trader, instrument=option, params=params(quantity=65, order_type="LIMIT", price=100, product="NRML")
    )
    order_rejection_notify(order, code="broker_rejected", message="Margin shortfall.", late=False)
    assert "(BUY 65 NIFTY 29 DEC 26000 CE) was rejected" in Notification.objects.get(order_id=order.id).message
