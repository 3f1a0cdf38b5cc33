"""Net positions: how each fill moves one, and the margin an open position blocks."""

from decimal import Decimal

from core.db import get_or_none
from marketdata.models import Instrument
from marketdata.selectors import instrument_cached_by_id

from ..models import Funds, Position, Side
from ..risk.usage import position_held_moved
from ..validation import blocked_amount
from .books import PRICE_PLACES, ZERO, mark, money

_MOVED_BY_A_FILL = [
    "net_quantity",
    "average_price",
    "realised_pnl",
    "buy_quantity",
    "buy_value",
    "sell_quantity",
    "sell_value",
    "updated_at",
]


def position_margin(*, instrument: Instrument, product: str, net_quantity: int, average_price: Decimal) -> Decimal:
    """Funds blocked by an open position (the order rule, for its direction): rounded per position,
    so a running total never drifts."""
    side = Side.BUY if net_quantity > 0 else Side.SELL
    amount = blocked_amount(
        instrument=instrument, side=side, product=product, quantity=abs(net_quantity), price=average_price
    )
    return money(amount)


def _realise(position: Position, signed: int, price: Decimal) -> Decimal:
    """Move quantity and average price for one fill; return the P&L it realised.

    Adding to a position moves its average price; reducing it realises
    (price - average) per unit in the position's direction; crossing zero
    closes the old side and opens the rest at the fill price.
    """
    net, quantity = position.net_quantity, abs(signed)
    realised = ZERO
    if net == 0 or (net > 0) == (signed > 0):
        total = abs(net) + quantity
        # Rounded as stored, so what margin is computed from is what the database holds.
        position.average_price = ((abs(net) * position.average_price + quantity * price) / total).quantize(PRICE_PLACES)
    else:
        closing = min(quantity, abs(net))
        realised = money(closing * (price - position.average_price) * (1 if net > 0 else -1))
        if quantity > abs(net):
            position.average_price = price  # reversed: the remainder opens at the fill price
        elif quantity == abs(net):
            position.average_price = ZERO
    position.net_quantity = net + signed
    position.realised_pnl = money(position.realised_pnl + realised)
    return realised


def _add_turnover(position: Position, side: str, quantity: int, price: Decimal) -> None:
    if side == Side.BUY:
        position.buy_quantity += quantity
        position.buy_value = money(position.buy_value + quantity * price)
    else:
        position.sell_quantity += quantity
        position.sell_value = money(position.sell_value + quantity * price)


def position_apply_fill(
    *, funds: Funds, instrument_id: int, product: str, side: str, quantity: int, price: Decimal
) -> tuple[Decimal, Decimal]:
    """Update the net position for one fill; return the P&L it realised and the change in its margin.

    Callers hold the account's Funds row locked (`funds`), so nobody else creates this row meanwhile; the
    position as the risk checks read it is kept on that row.
    """
    account_id = funds.account_id
    key = dict(account_id=account_id, instrument_id=instrument_id, product=product)
    position = get_or_none(Position.objects.select_for_update().filter(**key)) or Position(**key)
    instrument = instrument_cached_by_id(instrument_id)
    margin_before = position_margin(
        instrument=instrument, product=product, net_quantity=position.net_quantity, average_price=position.average_price
    )
    realised = _realise(position, quantity if side == Side.BUY else -quantity, price)
    _add_turnover(position, side, quantity, price)
    if position.pk is None:
        position.save(force_insert=True)
    else:
        position.save(update_fields=_MOVED_BY_A_FILL)
    mark(funds, *position_held_moved(funds, position))
    margin_after = position_margin(
        instrument=instrument, product=product, net_quantity=position.net_quantity, average_price=position.average_price
    )
    return realised, margin_after - margin_before
