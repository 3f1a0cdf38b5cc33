"""Reading the running totals: risk's view of the books, and the same figures counted from the rows.

What the totals mean is written once, in AccountBooks' docstring (account.py).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from core import clock
from marketdata.quotes import quotes_get

from ..models import TERMINAL, Funds, LedgerEntry, Order, Position
from .usage_view import Usage, day_start

ZERO = Decimal(0)


def usage_for(funds: Funds, *, now: datetime | None = None) -> Usage:
    """The account's usage now: the running totals of its Funds row and its positions at the last price."""
    now = now or clock.now()
    today = clock.ist_date(now) == funds.usage_day
    second, minute = now.replace(microsecond=0), now.replace(second=0, microsecond=0)
    usage = Usage(
        orders_this_second=funds.orders_in_second if funds.second_window == second else 0,
        orders_this_minute=funds.orders_in_minute if funds.minute_window == minute else 0,
        orders_today=funds.orders_today if today else 0,
        open_orders=funds.open_orders,
        open_order_value=funds.open_order_value,
        realised_today=funds.realised_today if today else ZERO,
    )
    _value_positions(usage, funds)
    return usage


def usage_of_account(account_id: int) -> Usage:
    """Outside the lock (the risk panel, the daily-loss sweep): the Funds row as last committed."""
    funds = Funds.objects.filter(account_id=account_id).first() or Funds(account_id=account_id)
    return usage_for(funds)


def _value_positions(usage: Usage, funds: Funds) -> None:
    """Positions at the last price. Their P&L counts since the day began: from the average price for what
    moved today, from the previous close for a position carried from an earlier day untouched since."""
    entries = funds.positions_held.items()
    held = [(int(key.split(":")[0]), net, Decimal(avg), moved) for key, (net, avg, moved) in entries]
    quotes = quotes_get([row[0] for row in held])[0] if held else {}
    today = day_start()
    for instrument_id, net, average, moved in held:
        quote = quotes.get(instrument_id)
        ltp = quote.ltp if quote is not None else None
        before, _ = usage.positions.get(instrument_id, (0, ZERO))
        usage.positions[instrument_id] = (before + net, ltp or average)
        if ltp is not None:
            carried = datetime.fromisoformat(moved) < today and quote.close is not None
            usage.unrealised += (ltp - (quote.close if carried else average)) * net


def position_entry(position: Position) -> tuple[str, list | None]:
    """A position as the Funds row holds it (None once flat)."""
    key = f"{position.instrument_id}:{position.product}"
    if position.net_quantity == 0:
        return key, None
    return key, [position.net_quantity, f"{position.average_price:.6f}", position.updated_at.isoformat()]


# --- Counting from the rows ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counted:
    open_orders: int
    open_order_value: Decimal
    orders_today: int
    realised_today: Decimal
    positions_held: dict

    @property
    def open_totals(self) -> tuple[int, Decimal]:
        return self.open_orders, self.open_order_value


def usage_recount(account_id: int, *, now: datetime | None = None) -> Counted:
    """The running totals as the rows say they should be (what the account's Funds row must hold)."""
    now = now or clock.now()
    start = day_start(now)
    at = Coalesce("price", "trigger_price", "check_price", ZERO)
    orders = Order.objects.filter(account_id=account_id).aggregate(
        today=Count("id", filter=Q(created_at__gte=start)),
        open=Count("id", filter=~Q(status__in=TERMINAL)),
        value=Sum((F("quantity") - F("filled_quantity")) * at, filter=~Q(status__in=TERMINAL)),
    )
    realised = LedgerEntry.objects.filter(
        account_id=account_id, kind__in=LedgerEntry.REALISED, created_at__gte=start
    ).aggregate(total=Sum("amount"))["total"]
    held = dict(position_entry(p) for p in Position.objects.filter(account_id=account_id).exclude(net_quantity=0))
    return Counted(orders["open"], orders["value"] or ZERO, orders["today"], realised or ZERO, held)


def usage_running(funds: Funds, *, now: datetime | None = None) -> Counted:
    """The running totals of a Funds row, read as of `now` (a new day starts its counts at zero)."""
    today = clock.ist_date(now or clock.now()) == funds.usage_day
    day = (funds.orders_today, funds.realised_today) if today else (0, ZERO)
    return Counted(funds.open_orders, funds.open_order_value, *day, funds.positions_held)
