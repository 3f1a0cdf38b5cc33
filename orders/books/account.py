"""AccountBooks: the one writer of an account's money, reservations, positions and running totals.

Locking rule, which keeps the money right under concurrency and free of deadlocks: every transaction
that touches an account's money locks its Funds row first (`AccountBooks.locked`), then its orders and
positions. Orders of one account are thereby serialised at the database; different accounts never wait
for each other. Inside the block the movements change rows in memory and remember what they changed;
each row is saved once, with exactly those fields, when the block ends (one UPDATE per row however
many steps touched it).
"""

import logging
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from core import clock
from core.db import get_or_none
from core.formatting import inr
from core.formatting import price as format_price
from core.formatting import quantity as format_quantity
from marketdata.models import Instrument
from marketdata.selectors import instrument_cached_by_id
from notifications.stream_log import stream_batch
from risk.models import PlatformRisk

from .. import stream
from ..models import TERMINAL, Funds, LedgerEntry, Order, Position, Side, Trade
from ..validation import blocked_amount
from .unit_of_work import mark, marked, save_marked
from .usage import Counted, position_entry, usage_for, usage_running
from .usage_view import Usage

log = logging.getLogger(__name__)

ZERO = Decimal(0)
MONEY_PLACES = Decimal("0.0001")
PRICE_PLACES = Decimal("0.000001")
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


def money(value: Decimal) -> Decimal:
    return value.quantize(MONEY_PLACES)


def position_margin(*, instrument: Instrument, product: str, net_quantity: int, average_price: Decimal) -> Decimal:
    """Funds blocked by an open position (the order rule, for its direction): rounded per position,
    so a running total never drifts."""
    side = Side.BUY if net_quantity > 0 else Side.SELL
    amount = blocked_amount(
        instrument=instrument, side=side, product=product, quantity=abs(net_quantity), price=average_price
    )
    return money(amount)


class AccountBooks:
    """One account's books, held under its lock for one transaction.

    Money, on the account's Funds row:
    - `cash`: the sum of the ledger; it moves only with a LedgerEntry (deposit, withdraw, adjust, the
      P&L a fill realises, and the charges paid: `fee`).
    - `reserved`: blocked for open orders, the sum of their `Order.reserved_amount` (reserve, release;
      the rest of an order's reservation is released as it fills or ends).
    - `margin_used`: blocked for open positions, the sum of `position_margin` over them (position_fill).
    - available = cash - reserved - margin_used.

    Positions: one `Position` row per instrument and product (net quantity, average price of what is
    open, realised P&L, turnover), moved by `position_fill` only, which also keeps `positions_held`.

    Running totals on the Funds row: what the risk limits are compared with, kept here in the same
    UPDATE so that a check reads the row it already holds instead of counting the day's orders.
    - `open_orders`, `open_order_value`: orders not yet in a terminal status, and their unfilled quantity
      valued at the limit, else the trigger, else the price checked at placement. Settled when the block
      ends, from each order's share as it was locked and as it is now, whatever the steps between.
    - `usage_day`: the IST trading day the day's counts are for; a new day starts them at zero.
    - `orders_today`: orders stored today (accepted, or refused by a limit and kept in the book).
    - `realised_today`: P&L realised today, net of the day's charges (the ledger's `LedgerEntry.REALISED` rows).
    - `second_window`/`orders_in_second`, `minute_window`/`orders_in_minute`: orders stored in the
      current clock second and minute of the platform's clock (exchanges count order rates so).
    - `positions_held`: the open positions as the checks value them,
      {"<instrument id>:<product>": [net quantity, "average price", "updated at"]}.
    - `platform_halted`: a copy of the platform kill switch, set on every account's row in the statement
      that throws it (`platform_switch_copy`): each order sees it in the row it locks, with no read of its own.

    `usage_recount` counts the same figures from the rows; `risk_usage_verify` (daily, and on demand)
    holds the running totals to it.
    """

    def __init__(self, funds: Funds) -> None:
        self._funds = funds
        self._orders: list[Order] = []
        self._open_shares: list[tuple[int, Decimal]] = []  # each order's share of the open totals when taken
        self._positions: dict[int, Position] = {}  # moved in this block, by id: the stream hears of each once

    @classmethod
    @contextmanager
    def locked(cls, account_id: int):
        """A transaction holding the account's Funds row locked (always first: no deadlocks)."""
        with stream_batch(), transaction.atomic():  # the block's stream events: one write after its commit
            books = cls(Funds.objects.select_for_update().get(account_id=account_id))
            yield books
            books._settle_open_orders()
            books._tell_the_stream()
            save_marked(*books._orders, books._funds)

    # --- Reading -------------------------------------------------------------------------------------

    @property
    def account_id(self) -> int:
        return self._funds.account_id

    @property
    def cash(self) -> Decimal:
        return self._funds.cash

    @property
    def available(self) -> Decimal:
        return self._funds.available

    @property
    def platform_halted(self) -> bool:
        return self._funds.platform_halted

    def usage(self, *, now: datetime | None = None) -> Usage:
        """What the account uses of its limits now (risk's read-only view of these books)."""
        return usage_for(self._funds, now=now)

    def running_totals(self, *, now: datetime | None = None) -> Counted:
        """The running totals as held, to compare with `usage_recount`."""
        return usage_running(self._funds, now=now)

    # --- Orders this block works on -----------------------------------------------------------------

    def lock_order(self, order_id: int, **filters) -> Order | None:
        order = get_or_none(Order.objects.select_for_update().filter(id=order_id, **filters))
        if order is not None:
            order.instrument = instrument_cached_by_id(order.instrument_id)  # no join: instruments hardly change
            self._orders.append(order)
            self._open_shares.append(_open_share(order))
        return order

    def store_order(self, order: Order, *, reserve: Decimal = ZERO) -> Order:
        """Store a new order (its first status set by orders.lifecycle), blocking `reserve` for it, and count it
        in the account's orders today, this second and this minute."""
        order.reserved_amount = reserve
        order.save(force_insert=True)
        if reserve:
            self._change("reserved", money(self._funds.reserved + reserve))
        self._count_order(order.created_at)
        self._orders.append(order)
        self._open_shares.append((0, ZERO))
        return order

    # --- Cash: always with its ledger row ------------------------------------------------------------

    def deposit(self, amount: Decimal, *, note: str) -> LedgerEntry:
        return self._ledger(LedgerEntry.Kind.DEPOSIT, amount, note=note)

    def withdraw(self, amount: Decimal, *, note: str) -> LedgerEntry:
        return self._ledger(LedgerEntry.Kind.WITHDRAWAL, -amount, note=note)

    def adjust(self, amount: Decimal, *, note: str) -> LedgerEntry:
        """A correction of the capital (signed), e.g. paper capital set by an administrator."""
        return self._ledger(LedgerEntry.Kind.ADJUSTMENT, amount, note=note)

    def fee(self, amount: Decimal, *, note: str, trade: Trade | None = None) -> LedgerEntry:
        """Charges paid (brokerage, taxes, exchange fees), for a fill when `trade` says which: a debit of cash
        that also counts against the day's realised P&L."""
        if amount < 0:
            raise ValueError("a fee is paid, never received: pass a positive amount")
        return self._ledger(LedgerEntry.Kind.CHARGES, -amount, trade=trade, note=note)

    def _ledger(self, kind: str, amount: Decimal, *, trade: Trade | None = None, note: str = "") -> LedgerEntry:
        amount = money(amount)
        self._change("cash", money(self._funds.cash + amount))
        if kind in LedgerEntry.REALISED:
            self._count_realised(amount, clock.now())
        return LedgerEntry.objects.create(
            account_id=self.account_id, kind=kind, amount=amount, balance_after=self._funds.cash, trade=trade, note=note
        )

    # --- Reservations ----------------------------------------------------------------------------------

    def reserve(self, order: Order, amount: Decimal) -> None:
        order.reserved_amount = money(order.reserved_amount + amount)
        mark(order, "reserved_amount")
        self._change("reserved", money(self._funds.reserved + amount))

    def release(self, order: Order, amount: Decimal | None = None) -> None:
        """Give back what the order blocked (all of it, or `amount` of it)."""
        amount = order.reserved_amount if amount is None else min(amount, order.reserved_amount)
        if amount <= 0:
            return
        order.reserved_amount = money(order.reserved_amount - amount)
        mark(order, "reserved_amount")
        self._change("reserved", max(ZERO, money(self._funds.reserved - amount)))

    # --- Fills and positions ---------------------------------------------------------------------------

    def fill(self, order: Order, trade: Trade) -> None:
        """Book one fill of `order` (its Trade just stored): the order's filled quantity and average price,
        its reservation for that part released, the position, its margin and the P&L it realised."""
        pending_before = order.pending_quantity
        previous_value = (order.average_price or ZERO) * order.filled_quantity
        order.filled_quantity += trade.quantity
        order.average_price = ((previous_value + trade.price * trade.quantity) / order.filled_quantity).quantize(
            PRICE_PLACES
        )
        mark(order, "filled_quantity", "average_price")
        self.release(order, money(order.reserved_amount * trade.quantity / pending_before))
        self.position_fill(
            instrument_id=order.instrument_id,
            product=order.product,
            side=order.side,
            quantity=trade.quantity,
            price=trade.price,
            trade=trade,
        )

    def position_fill(
        self, *, instrument_id: int, product: str, side: str, quantity: int, price: Decimal, trade: Trade | None = None
    ) -> tuple[Decimal, Decimal]:
        """Open, add to, reduce, close or reverse a position by one fill: the Position row, its copy in
        `positions_held`, the margin it blocks and the P&L it realises (to cash, with its ledger row).
        Returns (realised, change in margin)."""
        key = dict(account_id=self.account_id, instrument_id=instrument_id, product=product)
        # Under the Funds lock nobody else creates this row meanwhile.
        position = get_or_none(Position.objects.select_for_update().filter(**key)) or Position(**key)
        instrument = instrument_cached_by_id(instrument_id)
        margin_before = self._margin_of(position, instrument)
        realised = _realise(position, quantity if side == Side.BUY else -quantity, price)
        _add_turnover(position, side, quantity, price)
        if position.pk is None:
            position.save(force_insert=True)
        else:
            position.save(update_fields=_MOVED_BY_A_FILL)
        self._hold(position)
        self._positions[position.pk] = position
        margin_change = self._margin_of(position, instrument) - margin_before
        if margin_change:
            self._change("margin_used", max(ZERO, self._funds.margin_used + margin_change))
        if realised:  # in the trader's words, with no internal id: "Sold 10 SBIN at ₹812.50"
            verb = "Sold" if side == Side.SELL else "Bought"
            note = f"{verb} {format_quantity(quantity)} {instrument.display_name} at ₹{format_price(price)}"
            self._ledger(LedgerEntry.Kind.REALISED_PNL, realised, trade=trade, note=note)
        return realised, margin_change

    @staticmethod
    def _margin_of(position: Position, instrument: Instrument) -> Decimal:
        return position_margin(
            instrument=instrument,
            product=position.product,
            net_quantity=position.net_quantity,
            average_price=position.average_price,
        )

    def _hold(self, position: Position) -> None:
        key, entry = position_entry(position)
        held = self._funds.positions_held
        if entry is None:
            held.pop(key, None)
        else:
            held[key] = entry
        mark(self._funds, "positions_held")

    # --- Running totals ----------------------------------------------------------------------------

    def _count_order(self, now: datetime) -> None:
        funds = self._funds
        self._new_day(now)
        second, minute = now.replace(microsecond=0), now.replace(second=0, microsecond=0)
        funds.orders_today += 1
        funds.orders_in_second = funds.orders_in_second + 1 if funds.second_window == second else 1
        funds.orders_in_minute = funds.orders_in_minute + 1 if funds.minute_window == minute else 1
        funds.second_window, funds.minute_window = second, minute
        mark(funds, "orders_today", "orders_in_second", "orders_in_minute", "second_window", "minute_window")

    def _count_realised(self, amount: Decimal, now: datetime) -> None:
        self._new_day(now)
        self._change("realised_today", self._funds.realised_today + amount)

    def _new_day(self, now: datetime) -> None:
        today = clock.ist_date(now)
        if self._funds.usage_day != today:
            self._change("usage_day", today)
            self._change("orders_today", 0)
            self._change("realised_today", ZERO)

    def _settle_open_orders(self) -> None:
        funds = self._funds
        for order, before in zip(self._orders, self._open_shares, strict=True):
            after = _open_share(order)
            if before == after:
                continue
            open_orders = funds.open_orders + after[0] - before[0]
            open_value = funds.open_order_value + after[1] - before[1]
            if open_orders < 0 or open_value < 0:
                # Only rows changed behind the books can cause this; never refuse a fill for it.
                # risk_usage_verify (end of day, or on demand) sets the totals from the rows again.
                log.warning("Risk usage of account %s went below zero; counted as zero until verified", self.account_id)
            self._change("open_orders", max(0, open_orders))
            self._change("open_order_value", max(ZERO, open_value))

    def positions_clear(self) -> int:
        """Close the books' positions without trades (a paper account's reset): no position, no margin
        blocked for one. Returns how many rows went."""
        cleared, _ = Position.objects.filter(account_id=self.account_id).delete()
        if cleared:
            stream.positions_cleared(self.account_id)
        self._change("margin_used", ZERO)
        self._change("positions_held", {})
        return cleared

    def correct_running_totals(self, counted: Counted, now: datetime) -> None:
        """Set the running totals from a recount of the rows (risk_usage_verify)."""
        self._change("open_orders", counted.open_orders)
        self._change("open_order_value", counted.open_order_value)
        self._change("orders_today", counted.orders_today)
        self._change("realised_today", counted.realised_today)
        self._change("usage_day", clock.ist_date(now))
        self._change("positions_held", counted.positions_held)

    def _tell_the_stream(self) -> None:
        """The trader's stream hears of the funds and each position this block moved (when it commits)."""
        if _MONEY_FIELDS & marked(self._funds):
            stream.funds_changed(self._funds)
        for position in self._positions.values():
            stream.position_changed(position)

    def _change(self, field: str, value) -> None:
        setattr(self._funds, field, value)
        mark(self._funds, field)

    # --- Every account at once ---------------------------------------------------------------------

    @staticmethod
    def open(account) -> bool:
        """The books of a new account (idempotent): its Funds row, with the platform switch as it stands.
        Returns whether they were opened now."""
        halted = PlatformRisk.objects.filter(pk=1, halted=True).exists()
        _, created = Funds.objects.get_or_create(account=account, defaults={"platform_halted": halted})
        return created

    @staticmethod
    def platform_switch_copy(*, halted: bool) -> None:
        """The platform kill switch copied to every account's row in one statement: the UPDATE waits for
        placements holding an account's lock, and every placement after it sees the switch in the row it locks."""
        Funds.objects.update(platform_halted=halted)


_MONEY_FIELDS = {"cash", "reserved", "margin_used"}


def _open_share(order: Order) -> tuple[int, Decimal]:
    """What one order adds to the open-order totals: (1, its unfilled value) until it ends, then nothing."""
    if order.status in TERMINAL:
        return 0, ZERO
    at = order.price or order.trigger_price or order.check_price or ZERO
    return 1, (order.quantity - order.filled_quantity) * at


def _realise(position: Position, signed: int, price: Decimal) -> Decimal:
    """Move quantity and average price for one fill; return the P&L it realised.

    Adding to a position moves its average price; reducing it realises (price - average) per unit in
    the position's direction; crossing zero closes the old side and opens the rest at the fill price.
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


def insufficient_funds_message(required: Decimal, available: Decimal, *, extra: bool = False) -> str:
    if extra:
        return (
            f"Insufficient funds for the change: it needs ₹{inr(required)} more and "
            f"₹{inr(max(available, ZERO))} is available."
        )
    return (
        f"Insufficient funds: this order needs ₹{inr(required)} and ₹{inr(max(available, ZERO))} "
        "is available. Reduce the quantity or add funds."
    )
