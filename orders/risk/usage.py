"""What an account uses of its limits right now: order rates, open orders, exposure, the day's P&L.

Read inside the placement transaction, under the account's lock, so two
orders can never both see room that only one of them fits in.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, Sum

from core import clock
from marketdata.quotes import quotes_get

from ..models import TERMINAL, LedgerEntry, Order, Position

ZERO = Decimal(0)


def day_start(moment: datetime | None = None) -> datetime:
    """Midnight IST of the trading day `moment` falls in."""
    return datetime.combine(clock.ist_date(moment), time(0), clock.IST)


@dataclass
class Usage:
    orders_last_second: int = 0
    orders_last_minute: int = 0
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


def usage_for(account_id: int, *, realised_today: Decimal | None = None) -> Usage:
    """`realised_today` when the caller read it already (the checks read it with the profile)."""
    now = clock.now()
    usage = Usage()
    _count_orders(usage, account_id, now)
    _value_positions(usage, account_id)
    if realised_today is None:
        realised_today = LedgerEntry.objects.filter(
            account_id=account_id, kind=LedgerEntry.Kind.REALISED_PNL, created_at__gte=day_start(now)
        ).aggregate(total=Sum("amount"))["total"]
    usage.realised_today = realised_today or ZERO
    return usage


def _count_orders(usage: Usage, account_id: int, now: datetime) -> None:
    today = day_start(now)
    working = ~Q(status__in=TERMINAL)
    counts = Order.objects.filter(Q(account_id=account_id) & (Q(created_at__gte=today) | working)).aggregate(
        today=Count("id", filter=Q(created_at__gte=today)),
        minute=Count("id", filter=Q(created_at__gt=now - timedelta(minutes=1))),
        second=Count("id", filter=Q(created_at__gt=now - timedelta(seconds=1))),
        open=Count("id", filter=working),
    )
    usage.orders_today, usage.orders_last_minute = counts["today"], counts["minute"]
    usage.orders_last_second, usage.open_orders = counts["second"], counts["open"]
    if usage.open_orders:
        rows = Order.objects.filter(working, account_id=account_id).values_list(
            "instrument_id", "quantity", "filled_quantity", "price", "trigger_price"
        )
        prices = _last_prices({row[0] for row in rows})
        for instrument_id, quantity, filled, price, trigger in rows:
            usage.open_order_value += (quantity - filled) * (price or trigger or prices.get(instrument_id) or ZERO)


def _value_positions(usage: Usage, account_id: int) -> None:
    """Positions at the last price. Their P&L counts since the day began: from the average price for what
    moved today, from the previous close for a position carried from an earlier day untouched since."""
    rows = list(
        Position.objects.filter(account_id=account_id)
        .exclude(net_quantity=0)
        .values_list("instrument_id", "net_quantity", "average_price", "updated_at")
    )
    quotes = _quotes({row[0] for row in rows})
    today = day_start()
    for instrument_id, net, average, updated_at in rows:
        quote = quotes.get(instrument_id)
        ltp = quote.ltp if quote is not None else None
        held, _ = usage.positions.get(instrument_id, (0, ZERO))
        usage.positions[instrument_id] = (held + net, ltp or average)
        if ltp is not None:
            carried = updated_at < today and quote.close is not None
            usage.unrealised += (ltp - (quote.close if carried else average)) * net


def _quotes(instrument_ids: set[int]) -> dict:
    return quotes_get(list(instrument_ids))[0] if instrument_ids else {}


def _last_prices(instrument_ids: set[int]) -> dict[int, Decimal]:
    return {iid: q.ltp for iid, q in _quotes(instrument_ids).items() if q.ltp is not None}
