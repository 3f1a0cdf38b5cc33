"""Net positions and realised P&L, against a sequence worked out by hand."""

from decimal import Decimal as D

import pytest

from accounts.selectors import default_account_for
from orders.books import AccountBooks
from orders.models import Position
from orders.services import position_margin
from tests.marketdata.factories import InstrumentFactory
from tests.orders.conftest import trader  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

# side, qty, price -> expected (net, average, realised by this fill, realised total)
SEQUENCE = [
    ("BUY", 10, "100", 10, "100", "0", "0"),
    ("BUY", 10, "110", 20, "105", "0", "0"),  # average (10*100 + 10*110) / 20
    ("SELL", 5, "120", 15, "105", "75", "75"),  # 5 * (120 - 105)
    ("SELL", 25, "90", -10, "90", "-225", "-150"),  # closes 15 at -15 each, reverses: short 10 @ 90
    ("BUY", 4, "80", -6, "90", "40", "-110"),  # short covered at 80: 4 * (90 - 80)
    ("BUY", 6, "95", 0, "0", "-30", "-140"),  # 6 * (90 - 95): flat
    ("SELL", 3, "50", -3, "50", "0", "-140"),  # opens a new short
]


def test_positions_and_realised_pnl_follow_a_hand_computed_sequence(trader):  # noqa: F811
    instrument = InstrumentFactory()
    account_id = default_account_for(trader).id
    margin = D(0)
    for side, qty, price, net, average, realised, total in SEQUENCE:
        with AccountBooks.locked(account_id) as books:  # as its callers do
            got, margin_change = books.position_fill(
                instrument_id=instrument.id, product="MIS", side=side, quantity=qty, price=D(price)
            )
        position = Position.objects.get(account_id=account_id, instrument=instrument, product="MIS")
        margin += margin_change
        # The running margin equals a recount from the stored position, step by step.
        assert margin == position_margin(
            instrument=instrument,
            product="MIS",
            net_quantity=position.net_quantity,
            average_price=position.average_price,
        )
        assert (position.net_quantity, position.average_price, got, position.realised_pnl) == (
            net,
            D(average),
            D(realised),
            D(total),
        ), (side, qty, price)
    assert (position.buy_quantity, position.sell_quantity) == (30, 33)
    assert (position.buy_value, position.sell_value) == (D("2990"), D("3000"))  # 1000+1100+320+570, 600+2250+150
