"""The run's money: one cash balance, a position per instrument, FIFO lots and closed trades.

Everything here is Decimal and runs only when something fills, so exactness
costs nothing measurable. A trade is one lot from its entry fill to its exit
fill (FIFO, like the positions an exchange reports): buying twice and
selling once makes two trades.
"""

from collections import deque
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from .costs import CostModel
from .data import Series, exact
from .orders import BUY

ZERO = Decimal(0)


@dataclass(slots=True)
class Lot:
    quantity: int  # signed
    price: Decimal
    index: int  # bar index of the entry
    charges: Decimal  # the entry fill's charges still attributed to this lot


@dataclass(slots=True)
class Trade:
    symbol: str
    quantity: int  # signed: short trades are negative
    entry_index: int
    entry_price: Decimal
    exit_index: int | None
    exit_price: Decimal | None
    charges: Decimal
    pnl: Decimal  # net of charges; for an open trade, marked at the last close


@dataclass(slots=True)
class FillRecord:
    lane: int
    index: int  # bar index in the lane's series
    quantity: int  # signed
    price: Decimal
    charges: Decimal


@dataclass
class Position:
    series: Series
    lane: int
    quantity: int = 0
    lots: deque = field(default_factory=deque)
    bar: object = None  # the instrument's Bar: its index is the last bar whose close is known

    def mark(self) -> Decimal:
        """The last known price (the previous close while a bar is opening)."""
        index = self.bar.index
        return exact(float(self.series.close[index])) if index >= 0 else ZERO

    def avg_price(self) -> Decimal | None:
        if not self.quantity:
            return None
        return sum((abs(lot.quantity) * lot.price for lot in self.lots), ZERO) / abs(self.quantity)


class Book:
    def __init__(self, initial_cash: Decimal, costs: CostModel) -> None:
        self.initial_cash = initial_cash
        self.cash = initial_cash
        self.costs = costs
        self.positions: list[Position] = []
        self.trades: list[Trade] = []
        self.fills: list[FillRecord] = []
        self.charges = ZERO
        self.rejected = 0

    def add(self, series: Series) -> Position:
        position = Position(series, len(self.positions))
        self.positions.append(position)
        return position

    def equity(self, *, at: Position | None = None, price: Decimal | None = None) -> Decimal:
        """Cash plus every position at its last price (`at` valued at `price`, when given)."""
        total = self.cash
        for p in self.positions:
            if p.quantity:
                total += p.quantity * (price if p is at and price is not None else p.mark())
        return total

    def buying_power(self, *, at: Position, price: Decimal) -> Decimal:
        """Equity less the value of every open position: a cash account, no leverage."""
        exposure = sum((abs(p.quantity) * (price if p is at else p.mark()) for p in self.positions if p.quantity), ZERO)
        return self.equity(at=at, price=price) - exposure

    def charges_for(self, position: Position, side: str, quantity: int, price: Decimal) -> Decimal:
        return self.costs.charges(side=side, quantity=quantity, price=price, segment=position.series.segment)

    def affordable(self, position: Position, side: str, quantity: int, price: Decimal) -> int:
        """`quantity` cut down (in lots) until the part that opens exposure fits the buying power."""
        lot = position.series.lot_size
        power = self.buying_power(at=position, price=price)
        while quantity > 0:
            opening = _opening_units(position.quantity, quantity if side == BUY else -quantity)
            excess = opening * price + self.charges_for(position, side, quantity, price) - power
            if excess <= 0:
                return quantity
            if opening == 0:
                return quantity  # closing only: always allowed
            cut = int((excess / price).to_integral_value(rounding=ROUND_CEILING))
            quantity -= max(lot, cut + (-cut) % lot)
        return 0

    def fill(self, position: Position, side: str, quantity: int, price: Decimal, index: int) -> Decimal:
        """Apply a fill: cash, charges, FIFO lots and closed trades. Returns the charges."""
        charges = self.charges_for(position, side, quantity, price)
        signed = quantity if side == BUY else -quantity
        self.cash -= signed * price + charges
        self.charges += charges
        self.fills.append(FillRecord(position.lane, index, signed, price, charges))
        remaining = self._close_lots(position, signed, price, index, charges, quantity)
        if remaining:
            position.lots.append(Lot(remaining, price, index, charges * abs(remaining) / quantity))
        position.quantity += signed
        return charges

    def _close_lots(self, position, signed, price, index, charges, quantity) -> int:
        lots = position.lots
        while signed and lots and (lots[0].quantity > 0) != (signed > 0):
            lot = lots[0]
            take = min(abs(signed), abs(lot.quantity))
            direction = 1 if lot.quantity > 0 else -1
            entry_share = lot.charges * take / abs(lot.quantity)
            exit_share = charges * take / quantity
            gross = (price - lot.price) * take * direction
            self.trades.append(
                Trade(
                    position.series.symbol,
                    take * direction,
                    lot.index,
                    lot.price,
                    index,
                    price,
                    entry_share + exit_share,
                    gross - entry_share - exit_share,
                )
            )
            lot.quantity -= take * direction
            lot.charges -= entry_share
            signed += take * direction
            if not lot.quantity:
                lots.popleft()
        return signed

    def open_trades(self) -> list[Trade]:
        """Lots still open at the end, marked at the last close (not counted as closed trades)."""
        out = []
        for p in self.positions:
            mark = p.mark()
            for lot in p.lots:
                gross = (mark - lot.price) * lot.quantity
                out.append(
                    Trade(
                        p.series.symbol,
                        lot.quantity,
                        lot.index,
                        lot.price,
                        None,
                        None,
                        lot.charges,
                        gross - lot.charges,
                    )
                )
        return out


def _opening_units(current: int, signed: int) -> int:
    """Units of a fill that open or add exposure (the rest closes existing exposure)."""
    if current == 0 or (current > 0) == (signed > 0):
        return abs(signed)
    return max(0, abs(signed) - abs(current))
