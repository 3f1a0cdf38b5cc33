"""A run's own position in each instrument, computed from its own fills only.

Two runs on one instrument each see their own quantity; the account's real
position (orders.Position) is the sum of theirs and the trader's own orders.
"""

from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)


@dataclass
class VirtualPosition:
    quantity: int = 0
    avg_price: Decimal = ZERO
    realised: Decimal = ZERO
    buy_quantity: int = 0
    sell_quantity: int = 0

    def apply(self, side: str, quantity: int, price: Decimal) -> None:
        signed = quantity if side == "BUY" else -quantity
        held = self.quantity
        if side == "BUY":
            self.buy_quantity += quantity
        else:
            self.sell_quantity += quantity
        if held == 0 or (held > 0) == (signed > 0):  # opening or adding
            total = abs(held) + quantity
            self.avg_price = (self.avg_price * abs(held) + price * quantity) / total
            self.quantity = held + signed
            return
        closed = min(abs(held), quantity)
        direction = 1 if held > 0 else -1
        self.realised += (price - self.avg_price) * closed * direction
        self.quantity = held + signed
        if self.quantity == 0:
            self.avg_price = ZERO
        elif (self.quantity > 0) != (held > 0):  # reversed through flat: the rest opens at this price
            self.avg_price = price

    def unrealised(self, last: Decimal | None) -> Decimal:
        if not self.quantity or last is None:
            return ZERO
        return (last - self.avg_price) * self.quantity


def positions_from_fills(fills) -> dict[int, VirtualPosition]:
    """Instrument id -> position, from (instrument_id, side, quantity, price) in the order they happened."""
    out: dict[int, VirtualPosition] = {}
    for instrument_id, side, quantity, price in fills:
        out.setdefault(instrument_id, VirtualPosition()).apply(side, quantity, price)
    return out
