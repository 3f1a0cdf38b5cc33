"""What an account uses of its limits, as the checks read it: a read-only view of the account's books.

The figures are running totals kept by the account's books (orders/books/: AccountBooks says what each
means and is their only writer) under the account's lock, in the same UPDATE as the money; the checks
read the row the placement already holds instead of counting the day's orders for every new one.
Risk's checks are handed the platform switch's copy and this usage (risk.checks.Usage says what they read).

The per-second and per-minute limits count in clock windows (the current second, the current minute of
the platform's clock), as exchanges count order rates; the day is the IST trading day.
"""

from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal

from core import clock

ZERO = Decimal(0)


def day_start(moment: datetime | None = None) -> datetime:
    """Midnight IST of the trading day `moment` falls in."""
    return datetime.combine(clock.ist_date(moment), time(0), clock.IST)


@dataclass
class Usage:
    orders_this_second: int = 0
    orders_this_minute: int = 0
    orders_today: int = 0
    open_orders: int = 0
    # instrument id -> signed net quantity, and the price it is valued at (last price, else average)
    positions: dict[int, tuple[int, Decimal]] = field(default_factory=dict)
    open_order_value: Decimal = ZERO
    realised_today: Decimal = ZERO
    unrealised: Decimal = ZERO

    @property
    def gross_exposure(self) -> Decimal:
        held = sum((abs(quantity) * price for quantity, price in self.positions.values()), ZERO)
        return held + self.open_order_value

    @property
    def day_pnl(self) -> Decimal:
        return self.realised_today + self.unrealised

    def position_value(self, instrument_id: int, extra_signed_quantity: int, price: Decimal) -> Decimal:
        held, _ = self.positions.get(instrument_id, (0, price))
        return abs(held + extra_signed_quantity) * price
