"""What an account uses of its limits: running totals on its Funds row, and its positions at the last price.

The counts the limits are compared with (orders this second, minute and day, open orders and their
value, realised P&L today) are running totals on the account's Funds row. Every transaction that moves
the account's orders or money already holds that row locked and saves it once at the end (services/
books.py); it keeps these totals in the same UPDATE. The checks run under the same lock and read the
row they already hold, instead of counting the day's orders for every new one (work that grew with each
order of the day). `usage_recount` counts the same figures from the rows themselves: the end-of-day
verification and the tests hold the running totals to it.

The per-second and per-minute limits count in clock windows (the current second, the current minute of
the platform's clock), as exchanges count order rates; the day is the IST trading day.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce

from core import clock
from marketdata.quotes import quotes_get

from ..models import TERMINAL, Funds, LedgerEntry, Order, Position

ZERO = Decimal(0)
log = logging.getLogger(__name__)


def day_start(moment: datetime | None = None) -> datetime:
    """Midnight IST of the trading day `moment` falls in."""
    return datetime.combine(clock.ist_date(moment), time(0), clock.IST)


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


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


def usage_for(funds: Funds, *, now: datetime | None = None) -> Usage:
    """The account's usage now: the running totals of its Funds row and its positions at the last price."""
    now = now or clock.now()
    today = clock.ist_date(now) == funds.usage_day
    usage = Usage(
        orders_this_second=funds.orders_in_second if funds.second_window == _second(now) else 0,
        orders_this_minute=funds.orders_in_minute if funds.minute_window == _minute(now) else 0,
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


# --- Keeping the running totals (under the account's lock; each returns the Funds fields it changed) ---


def order_counted(funds: Funds, now: datetime) -> tuple[str, ...]:
    """A new order was stored (accepted, or refused by a limit and kept in the book)."""
    changed = _new_day(funds, now)
    second, minute = _second(now), _minute(now)
    funds.orders_today += 1
    funds.orders_in_second = funds.orders_in_second + 1 if funds.second_window == second else 1
    funds.orders_in_minute = funds.orders_in_minute + 1 if funds.minute_window == minute else 1
    funds.second_window, funds.minute_window = second, minute
    return (*changed, "orders_today", "orders_in_second", "orders_in_minute", "second_window", "minute_window")


def realised_counted(funds: Funds, amount: Decimal, now: datetime) -> tuple[str, ...]:
    changed = _new_day(funds, now)
    funds.realised_today += amount
    return (*changed, "realised_today")


def _new_day(funds: Funds, now: datetime) -> tuple[str, ...]:
    today = clock.ist_date(now)
    if funds.usage_day == today:
        return ()
    funds.usage_day, funds.orders_today, funds.realised_today = today, 0, ZERO
    return ("usage_day", "orders_today", "realised_today")


def open_share(order: Order) -> tuple[int, Decimal]:
    """What one order adds to the open-order totals: (1, its unfilled value) until it ends, then nothing."""
    if order.status in TERMINAL:
        return 0, ZERO
    at = order.price or order.trigger_price or order.check_price or ZERO
    return 1, (order.quantity - order.filled_quantity) * at


def open_share_moved(funds: Funds, before: tuple[int, Decimal], after: tuple[int, Decimal]) -> tuple[str, ...]:
    if before == after:
        return ()
    funds.open_orders += after[0] - before[0]
    funds.open_order_value += after[1] - before[1]
    if funds.open_orders < 0 or funds.open_order_value < 0:
        # Only rows changed behind the books can cause this; never refuse a fill for it. usage_verify
        # (end of day, or on demand) sets the totals from the rows again.
        log.warning("Risk usage of account %s went below zero; counted as zero until verified", funds.account_id)
        funds.open_orders, funds.open_order_value = max(0, funds.open_orders), max(ZERO, funds.open_order_value)
    return ("open_orders", "open_order_value")


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
        account_id=account_id, kind=LedgerEntry.Kind.REALISED_PNL, created_at__gte=start
    ).aggregate(total=Sum("amount"))["total"]
    held = dict(position_entry(p) for p in Position.objects.filter(account_id=account_id).exclude(net_quantity=0))
    return Counted(orders["open"], orders["value"] or ZERO, orders["today"], realised or ZERO, held)


def usage_running(funds: Funds, *, now: datetime | None = None) -> Counted:
    """The running totals of a Funds row, read as of `now` (a new day starts its counts at zero)."""
    today = clock.ist_date(now or clock.now()) == funds.usage_day
    day = (funds.orders_today, funds.realised_today) if today else (0, ZERO)
    return Counted(funds.open_orders, funds.open_order_value, *day, funds.positions_held)


# --- Positions -----------------------------------------------------------------------------------------


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


def position_held_moved(funds: Funds, position: Position) -> tuple[str, ...]:
    key, entry = position_entry(position)
    if entry is None:
        funds.positions_held.pop(key, None)
    else:
        funds.positions_held[key] = entry
    return ("positions_held",)
