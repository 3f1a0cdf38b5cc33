"""Every write in orders: placing, modifying and cancelling orders, applying fills, funds.

Locking rule, which keeps the money right under concurrency and free of
deadlocks: every transaction that touches an account's money locks its Funds
row first, then its orders and positions. Orders of one account are thereby
serialised at the database; different accounts never wait for each other.
"""

import hashlib
import json
import logging
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts.models import TradingAccount
from brokers.base import (
    BrokerAmbiguous,
    BrokerOrder,
    BrokerRejected,
    BrokerStatus,
    BrokerTrade,
    BrokerUnavailable,
    ModifyOrderRequest,
    OrderUpdate,
    PlaceOrderRequest,
)
from brokers.base import OrderType as BOrderType
from brokers.base import Product as BProduct
from brokers.base import Side as BSide
from brokers.base import Validity as BValidity
from brokers.registry import broker_for_account
from core import clock, faults
from core.errors import Conflict, InvalidInput, NotFound, RuleViolation
from core.formatting import inr
from marketdata.models import Instrument
from marketdata.quotes import is_stale, quotes_get
from marketdata.selectors import instrument_cached_by_id

from . import market_hours
from .models import (
    TERMINAL,
    WORKING,
    Funds,
    LedgerEntry,
    Order,
    OrderEvent,
    OrderStatus,
    OrderType,
    Position,
    Product,
    Side,
    Trade,
    Validity,
)
from .validation import (
    OrderParams,
    check_against_market,
    check_instrument,
    check_product,
    check_shape,
    margin_rate,
    reference_price,
)

logger = logging.getLogger(__name__)
ZERO = Decimal(0)
MONEY_PLACES = Decimal("0.0001")
PRICE_PLACES = Decimal("0.000001")


def _money(value: Decimal) -> Decimal:
    return value.quantize(MONEY_PLACES)


# --- Accounts and funds ----------------------------------------------------------------


@transaction.atomic
def account_open(*, user, starting_funds: Decimal | None = None, always_open: bool | None = None) -> TradingAccount:
    """The user's paper trading account with its funds (idempotent)."""
    account, _ = TradingAccount.objects.get_or_create(user=user)
    if always_open is not None and account.always_open != always_open:
        account.always_open = always_open
        account.save(update_fields=["always_open"])
    _, created = Funds.objects.get_or_create(account=account)
    if created:
        amount = settings.PAPER_STARTING_FUNDS if starting_funds is None else starting_funds
        if Decimal(amount):
            with _locked(account.id) as books:
                _ledger(books.funds, LedgerEntry.Kind.DEPOSIT, Decimal(amount), note="Starting paper capital")
    elif starting_funds is not None:
        funds_set_capital(account=account, amount=Decimal(starting_funds))
    return account


def funds_set_capital(*, account: TradingAccount, amount: Decimal) -> Decimal:
    """Bring deposits minus withdrawals to `amount` with one adjustment (idempotent). Returns the change."""
    if amount < 0:
        raise InvalidInput("Capital cannot be negative.", code="invalid_amount", field="funds")
    with _locked(account.id) as books:
        deposited = (
            LedgerEntry.objects.filter(
                account=account,
                kind__in=[LedgerEntry.Kind.DEPOSIT, LedgerEntry.Kind.WITHDRAWAL, LedgerEntry.Kind.ADJUSTMENT],
            ).aggregate(total=Sum("amount"))["total"]
            or ZERO
        )
        change = _money(amount - deposited)
        if change:
            _ledger(books.funds, LedgerEntry.Kind.ADJUSTMENT, change, note=f"Paper capital set to {amount}")
    return change


def _mark(obj, *fields: str) -> None:
    """Remember which fields changed in memory; `_locked` saves each row once at the end."""
    obj.__dict__.setdefault("_changed", set()).update(fields)


def _save_marked(*objects) -> None:
    for obj in objects:
        fields = obj.__dict__.pop("_changed", None)
        if fields:
            _update_row(obj, [*sorted(fields), "updated_at"])


def _insert_row(obj):
    """What `obj.save()` does for a new row of these models (no signals are connected to them), as one
    INSERT ... RETURNING id: orders, their events and trades are written on every placement and fill."""
    if not connection.features.can_return_columns_from_insert:
        obj.save()
        return obj
    meta = obj._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    qn = connection.ops.quote_name
    values = [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields]
    columns = ", ".join(qn(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({placeholders}) RETURNING {qn(meta.pk.column)}",
            values,
        )
        obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


def _update_row(obj, names: list[str]) -> None:
    """What `obj.save(update_fields=names)` does for these models (no signals are connected to them),
    as one plain UPDATE: it runs several times per order, and the query compiler cost three times the query."""
    meta = obj._meta
    fields = [meta.get_field(name) for name in names]
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(field.column)} = %s" for field in fields)
    values = [field.get_db_prep_save(field.pre_save(obj, add=False), connection) for field in fields]  # auto_now too
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s", [*values, obj.pk]
        )


def _lock_row(model, **equals):
    """One row by key, locked FOR UPDATE until the transaction ends; None if there is none.

    The three row locks of the order path (funds, order, position) run on
    every placement and fill. Written as plain SQL because Django's query
    compiler costs two to three times what the query itself does here; the
    model's columns come back as a model instance all the same.
    """
    qn = connection.ops.quote_name
    where = " AND ".join(f"{qn(model._meta.get_field(name).column)} = %s" for name in equals)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""  # SQLite: the IMMEDIATE transaction
    rows = list(
        model.objects.raw(f"SELECT * FROM {qn(model._meta.db_table)} WHERE {where}{lock}", list(equals.values()))
    )
    return rows[0] if rows else None


class _Books:
    """What one locked transaction works on: the account's funds and the orders it locked."""

    def __init__(self, funds: Funds) -> None:
        self.funds = funds
        self.orders: list[Order] = []

    def lock_order(self, order_id: int, **filters) -> Order | None:
        order = _lock_row(Order, id=order_id, **filters)
        if order is not None:
            order.instrument = instrument_cached_by_id(order.instrument_id)  # no join: instruments hardly change
            self.orders.append(order)
        return order


@contextmanager
def _locked(account_id: int):
    """A transaction holding the account's funds row locked (always first: no deadlocks).

    Helpers change funds and orders in memory; each row is written once when the block ends.
    """
    with transaction.atomic():
        funds = _lock_row(Funds, account_id=account_id)
        if funds is None:
            raise Funds.DoesNotExist(f"no funds row for account {account_id}")
        books = _Books(funds)
        yield books
        _save_marked(*books.orders, books.funds)


def _ledger(funds: Funds, kind: str, amount: Decimal, *, trade: Trade | None = None, note: str = "") -> None:
    """Move cash: the one place cash changes, always with its ledger row."""
    funds.cash = _money(funds.cash + amount)
    _mark(funds, "cash")
    LedgerEntry.objects.create(
        account_id=funds.account_id, kind=kind, amount=_money(amount), balance_after=funds.cash, trade=trade, note=note
    )


def position_margin(product: str, net_quantity: int, average_price: Decimal) -> Decimal:
    """Funds blocked by an open position: rounded per position, so a running total never drifts."""
    return _money(abs(net_quantity) * average_price * margin_rate(product))


# --- Transitions -----------------------------------------------------------------------


def _event(order: Order, from_status: str, to_status: str, reason: str, actor: str, data=None) -> None:
    _insert_row(
        OrderEvent(
            order=order, from_status=from_status, to_status=to_status, reason=reason[:300], actor=actor, data=data
        )
    )


def _move(order: Order, to_status: str, reason: str, actor: str, *, data=None, fields: tuple = ()) -> None:
    """Change the status of an order held in a `_locked` block, with its event."""
    previous = order.status
    order.status = to_status
    _mark(order, "status", *fields)
    _event(order, previous, to_status, reason, actor, data)


def _release(order: Order, funds: Funds, amount: Decimal | None = None) -> None:
    amount = order.reserved_amount if amount is None else min(amount, order.reserved_amount)
    if amount <= 0:
        return
    order.reserved_amount = _money(order.reserved_amount - amount)
    funds.reserved = max(ZERO, _money(funds.reserved - amount))
    _mark(order, "reserved_amount")
    _mark(funds, "reserved")


def _end(order: Order, funds: Funds, to_status: str, reason: str, actor: str, *, code: str = "") -> None:
    """Terminal without (further) fills: release what is still reserved."""
    if code:
        order.rejection_code, order.rejection_reason = code, reason[:300]
    order.pending_changes = None
    _move(order, to_status, reason, actor, fields=("rejection_code", "rejection_reason", "pending_changes"))
    _release(order, funds)


# --- Placing -------------------------------------------------------------------------------


def _fingerprint(instrument: Instrument, params: OrderParams, tag: str) -> str:
    body = {"instrument": instrument.id, "tag": tag, **asdict(params)}
    canonical = json.dumps(body, sort_keys=True, default=lambda v: str(v.normalize()) if isinstance(v, Decimal) else v)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing_for_key(user, key: str, fingerprint: str) -> Order | None:
    existing = Order.objects.filter(user=user, client_order_id=key).first()
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise Conflict(
            f"client_order_id {key!r} was already used for a different order (#{existing.id}).",
            code="idempotency_key_reused",
            field="client_order_id",
        )
    return existing


def order_place(
    *,
    user,
    instrument: Instrument,
    params: OrderParams,
    client_order_id: str | None = None,
    tag: str = "",
    source: str = "api",
) -> tuple[Order, bool]:
    """Validate, check risk, reserve funds and store the order as NEW, all in one transaction.

    Returns (order, created). The same client_order_id with the same request
    returns the first order and creates nothing; with a different request it
    is a Conflict. The broker call happens in a Celery task queued on commit.
    """
    account = trading_account_for(user)
    if account is None:
        raise RuleViolation("You have no trading account yet.", code="no_trading_account")
    now = clock.now()
    fingerprint = _fingerprint(instrument, params, tag)
    if client_order_id:
        existing = _existing_for_key(user, client_order_id, fingerprint)
        if existing is not None:
            return existing, False

    check_instrument(instrument, market_hours.ist_date(now))
    check_shape(params, instrument)
    check_product(params, instrument)
    found, degraded = quotes_get([instrument.id])
    quote = found.get(instrument.id)
    check_against_market(params, quote, quote is not None and is_stale(quote, degraded))
    if not account.always_open and not market_hours.is_open(instrument.exchange, now):
        raise RuleViolation(market_hours.closed_message(instrument.exchange, now), code="market_closed")

    try:
        with _locked(account.id) as books:
            funds = books.funds
            if client_order_id:
                # Checked again under the lock: concurrent requests with one key queue here.
                existing = _existing_for_key(user, client_order_id, fingerprint)
                if existing is not None:
                    return existing, False
            opening = _opening_quantity(account, instrument, params)
            required = _money(opening * reference_price(params, quote) * margin_rate(params.product))
            if required > funds.available:
                raise RuleViolation(
                    f"Insufficient funds: this order needs ₹{inr(required)} and ₹{inr(max(funds.available, ZERO))} "
                    "is available. Reduce the quantity or add funds.",
                    code="insufficient_funds",
                    field="quantity",
                )
            order = _insert_row(
                Order(
                    user=user,
                    account_id=account.id,
                    instrument=instrument,
                    side=params.side,
                    quantity=params.quantity,
                    order_type=params.order_type,
                    product=params.product,
                    validity=params.validity,
                    price=params.price,
                    trigger_price=params.trigger_price,
                    client_order_id=client_order_id or None,
                    request_fingerprint=fingerprint,
                    tag=tag,
                    reserved_amount=required,
                    source=source,
                )
            )
            funds.reserved = _money(funds.reserved + required)
            _mark(funds, "reserved")
            _event(order, "", OrderStatus.NEW, f"Accepted; ₹{inr(required)} reserved", f"user:{user.username}")
            transaction.on_commit(lambda: _enqueue("broker_place_order", order.id))
    except IntegrityError:
        if not client_order_id:
            raise
        # Lost a race for the same key in a way the lock did not serialise (no account row yet).
        existing = _existing_for_key(user, client_order_id, fingerprint)
        if existing is None:
            raise
        return existing, False
    return order, True


_accounts: dict[int, tuple[float, TradingAccount]] = {}
_ACCOUNT_TTL = 10.0


def trading_account_for(user) -> TradingAccount | None:
    """The user's trading account, remembered in this process for a few seconds (it is read on every order)."""
    now = time.monotonic()
    entry = _accounts.get(user.pk)
    if entry is not None and entry[0] > now:
        return entry[1]
    account = TradingAccount.objects.filter(user_id=user.pk).first()
    if account is not None:
        _accounts[user.pk] = (now + _ACCOUNT_TTL, account)
    return account


def _opening_quantity(account: TradingAccount, instrument: Instrument, params: OrderParams) -> int:
    """How much of this order opens or adds to a position (needs margin) rather than closing one.

    CNC sells must be covered by the holding, after what other open sell orders already cover.
    """
    if params.product == Product.CNC and params.side == Side.BUY:
        return params.quantity  # delivery is never short: a CNC buy always opens or adds
    position = Position.objects.filter(account=account, instrument=instrument, product=params.product).first()
    held = position.net_quantity if position else 0
    closing_direction = (params.side == Side.SELL and held > 0) or (params.side == Side.BUY and held < 0)
    closable = 0
    if closing_direction:
        committed = (
            Order.objects.filter(account=account, instrument=instrument, product=params.product, side=params.side)
            .exclude(status__in=TERMINAL)
            .aggregate(q=Sum(F("quantity") - F("filled_quantity")))["q"]
            or 0
        )
        closable = max(0, abs(held) - committed)
    if params.product == Product.CNC and params.side == Side.SELL and params.quantity > closable:
        raise RuleViolation(
            f"You can sell at most {closable} of {instrument.symbol} in CNC (your holding, less open sell orders).",
            code="insufficient_holdings",
            field="quantity",
        )
    return params.quantity - min(params.quantity, closable)


def _enqueue(task_name: str, order_id: int) -> None:
    from . import tasks

    try:
        getattr(tasks, task_name).delay(order_id)
    except Exception:
        # The order is committed; the outbox sweep sends it if the queue is down.
        logger.exception("could not queue %s for order %s; the outbox sweep will retry", task_name, order_id)


# --- Modifying and cancelling (the trader's side) -----------------------------------------------

MODIFIABLE = {OrderStatus.OPEN, OrderStatus.TRIGGER_PENDING, OrderStatus.PARTIALLY_FILLED}


def order_modify(*, user, order: Order, changes: dict) -> Order:
    """Ask the broker to change quantity, price, trigger or type of a working order."""
    fields = {"quantity", "price", "trigger_price", "order_type"}
    if not changes or not set(changes) <= fields:
        raise InvalidInput("Change at least one of quantity, price, trigger_price, order_type.", code="no_changes")
    with _locked(order.account_id) as books:
        funds = books.funds
        order = books.lock_order(order.id)
        if order.status not in MODIFIABLE:
            raise Conflict(
                f"Order #{order.id} is {order.status}; it cannot be modified now.", code="order_not_modifiable"
            )
        order_type = changes.get("order_type", order.order_type)
        params = OrderParams(
            side=order.side,
            quantity=changes.get("quantity", order.quantity),
            order_type=order_type,
            product=order.product,
            validity=order.validity,
            # Switching type: a price or trigger the new type does not take is dropped, not an error.
            price=changes.get("price", order.price if order_type in (OrderType.LIMIT, OrderType.SL) else None),
            trigger_price=changes.get(
                "trigger_price", order.trigger_price if order_type in (OrderType.SL, OrderType.SL_M) else None
            ),
        )
        check_shape(params, order.instrument)
        if params.quantity <= order.filled_quantity:
            raise InvalidInput(
                f"Quantity must stay above the {order.filled_quantity} already filled.",
                code="invalid_quantity",
                field="quantity",
            )
        found, degraded = quotes_get([order.instrument_id])
        quote = found.get(order.instrument_id)
        check_against_market(params, quote, quote is not None and is_stale(quote, degraded))
        pending = params.quantity - order.filled_quantity
        required = _money(pending * reference_price(params, quote) * margin_rate(order.product))
        extra = max(ZERO, required - order.reserved_amount)
        if extra > funds.available:
            raise RuleViolation(
                f"Insufficient funds for the change: it needs ₹{inr(extra)} more and "
                f"₹{inr(max(funds.available, ZERO))} is available.",
                code="insufficient_funds",
                field="quantity",
            )
        if extra:
            order.reserved_amount = _money(order.reserved_amount + extra)
            funds.reserved = _money(funds.reserved + extra)
            _mark(funds, "reserved")
        order.pending_changes = {
            "quantity": params.quantity,
            "order_type": params.order_type,
            "price": None if params.price is None else str(params.price),
            "trigger_price": None if params.trigger_price is None else str(params.trigger_price),
            "required": str(required),
            "from_status": order.status,
        }
        _move(
            order,
            OrderStatus.MODIFY_PENDING,
            "Modification requested",
            f"user:{user.username}",
            data=order.pending_changes,
            fields=("pending_changes", "reserved_amount"),
        )
        transaction.on_commit(lambda: _enqueue("broker_modify_order", order.id))
    return order


def order_cancel(*, user, order: Order, reason: str = "Cancelled by user", actor: str | None = None) -> Order:
    actor = actor or f"user:{user.username}"
    with _locked(order.account_id) as books:
        order = books.lock_order(order.id)
        if order.status == OrderStatus.NEW:
            # Never reached a broker: cancel here. The placement task's claim (NEW -> SUBMITTED) now fails.
            _end(order, books.funds, OrderStatus.CANCELLED, reason, actor)
            return order
        if order.status == OrderStatus.CANCEL_PENDING:
            raise Conflict(f"Order #{order.id} is already being cancelled.", code="order_already_cancelling")
        if order.status not in MODIFIABLE:
            raise Conflict(
                f"Order #{order.id} is {order.status}; it cannot be cancelled now.", code="order_not_cancellable"
            )
        order.pending_changes = {"cancel_reason": reason, "from_status": order.status}
        _move(order, OrderStatus.CANCEL_PENDING, reason, actor, fields=("pending_changes",))
        transaction.on_commit(lambda: _enqueue("broker_cancel_order", order.id))
    return order


def orders_cancel_all(*, user) -> list[Order]:
    cancelled = []
    for order in Order.objects.filter(user=user).exclude(status__in=[*TERMINAL, OrderStatus.CANCEL_PENDING]):
        try:
            cancelled.append(order_cancel(user=user, order=order))
        except Conflict:
            continue  # in flight at the broker (submitted, being modified): the trader sees it in the list
    return cancelled


def positions_close(*, user, instrument: Instrument | None = None, product: str | None = None) -> list[Order]:
    """Square off: a MARKET order against each matching open position, for what is not already being closed."""
    account = TradingAccount.objects.filter(user=user).first()
    if account is None:
        return []
    positions = Position.objects.filter(account=account).exclude(net_quantity=0).select_related("instrument")
    if instrument is not None:
        positions = positions.filter(instrument=instrument)
    if product:
        positions = positions.filter(product=product)
    if instrument is not None and not positions.exists():
        raise NotFound(f"You hold no open position in {instrument.key}.", code="no_position")
    orders = []
    for position in positions:
        side = Side.SELL if position.net_quantity > 0 else Side.BUY
        committed = (
            Order.objects.filter(account=account, instrument=position.instrument, product=position.product, side=side)
            .exclude(status__in=TERMINAL)
            .aggregate(q=Sum(F("quantity") - F("filled_quantity")))["q"]
            or 0
        )
        quantity = abs(position.net_quantity) - committed
        if quantity <= 0:
            continue
        params = OrderParams(side, quantity, OrderType.MARKET, position.product, Validity.DAY, None, None)
        order, _ = order_place(user=user, instrument=position.instrument, params=params, tag="square-off")
        orders.append(order)
    return orders


# --- The worker's side: talking to the broker ------------------------------------------------


def _request(order: Order) -> PlaceOrderRequest:
    return PlaceOrderRequest(
        tag=order.broker_tag,
        exchange=order.instrument.exchange,
        symbol=order.instrument.symbol,
        token=order.instrument.token,
        side=BSide(order.side),
        quantity=order.quantity,
        order_type=BOrderType(order.order_type),
        product=BProduct(order.product),
        validity=BValidity(order.validity),
        price=order.price,
        trigger_price=order.trigger_price,
    )


def order_submit(*, order_id: int) -> None:
    """Send a NEW order to its broker exactly once (Celery task body; safe to run twice)."""
    now = timezone.now()
    with transaction.atomic():  # claim, read and log it in one commit
        claimed = Order.objects.filter(id=order_id, status=OrderStatus.NEW).update(
            status=OrderStatus.SUBMITTED, submitted_at=now, submit_attempts=F("submit_attempts") + 1, updated_at=now
        )
        if not claimed:
            return  # already sent, cancelled or unknown: nothing to do
        order = Order.objects.select_related("account").get(id=order_id)
        order.instrument = instrument_cached_by_id(order.instrument_id)
        _event(order, OrderStatus.NEW, OrderStatus.SUBMITTED, "Sending to the broker", "worker")
    faults.point("order_submit.before_broker_call")
    broker = broker_for_account(order.account)
    try:
        result = broker.place_order(_request(order))
    except BrokerRejected as exc:
        _settle_rejection(order, exc.code, exc.message)
        return
    except BrokerUnavailable as exc:
        # Definitely not sent: back to NEW for the outbox sweep to send later.
        _back_from_submitted(order, OrderStatus.NEW, f"Broker unavailable, will retry: {exc.message}")
        return
    except Exception as exc:  # timeout after sending, 5xx, anything we cannot interpret
        reason = exc.message if isinstance(exc, BrokerAmbiguous) else f"{type(exc).__name__}: {exc}"
        _back_from_submitted(order, OrderStatus.UNKNOWN, f"Ambiguous broker answer; reconciling: {reason}")
        logger.warning("order %s is UNKNOWN after a broker error: %s", order_id, reason)
        return
    _apply_with_trades(order.account, broker, result, actor="worker")


def _back_from_submitted(order: Order, to_status: str, reason: str) -> None:
    with _locked(order.account_id) as books:
        locked = books.lock_order(order.id)
        if locked.status == OrderStatus.SUBMITTED:
            _move(locked, to_status, reason, "worker")


def _settle_rejection(order: Order, code: str, message: str) -> None:
    with _locked(order.account_id) as books:
        order = books.lock_order(order.id)
        if order.status not in TERMINAL:
            _end(order, books.funds, OrderStatus.REJECTED, f"Rejected by the broker: {message}", "broker", code=code)


# Our statuses that already say what a broker status says (no pending request in between).
_AGREES = {
    BrokerStatus.COMPLETE: {OrderStatus.FILLED},
    BrokerStatus.OPEN: {OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED},
    BrokerStatus.TRIGGER_PENDING: {OrderStatus.TRIGGER_PENDING},
    BrokerStatus.CANCELLED: {OrderStatus.CANCELLED, OrderStatus.EXPIRED},
    BrokerStatus.REJECTED: {OrderStatus.REJECTED},
}


# Broker updates this thread applied and committed, per order: (the update's BrokerOrder, our status, filled).
_applied = threading.local()


def _remember_applied(order_id: int, reported: BrokerOrder, status: str, filled_quantity: int) -> None:
    seen = _applied.__dict__.setdefault("orders", {})
    if len(seen) > 100:
        seen.clear()
    seen[order_id] = (reported, status, filled_quantity)


def _already_applied(order_id: int | None, result: BrokerOrder) -> bool:
    """Whether our order already says what the broker answered (then there is nothing to apply)."""
    mine = _applied.__dict__.get("orders", {}).pop(order_id, None)
    if mine is not None and mine[0] is result:
        # The broker streamed this very answer to us (in this thread) before returning it, and we committed it.
        return mine[2] == result.filled_quantity and mine[1] in _AGREES[result.status]
    ours = Order.objects.filter(id=order_id, filled_quantity=result.filled_quantity).values_list("status", flat=True)
    return bool(ours) and ours[0] in _AGREES[result.status]


def _apply_with_trades(account: TradingAccount, broker, result: BrokerOrder, *, actor: str) -> None:
    """Apply a broker answer, fetching its fills if it reports any: the stream may have been missed.

    Most often the order-update stream has already delivered exactly this (the
    paper exchange publishes a fill before it answers, in this thread), and the
    whole update is skipped.
    """
    order_id = order_id_from_tag(result.tag)
    if _already_applied(order_id, result):
        return
    trades = tuple(broker.trades(result.broker_order_id)) if result.filled_quantity else ()
    order_apply_update(update=OrderUpdate(account_id=account.id, order=result, trades=trades), actor=actor)


def order_modify_submit(*, order_id: int) -> None:
    order = Order.objects.select_related("account", "instrument").get(id=order_id)
    if order.status != OrderStatus.MODIFY_PENDING or not order.pending_changes:
        return
    changes = order.pending_changes
    broker = broker_for_account(order.account)
    request = ModifyOrderRequest(
        quantity=changes["quantity"],
        order_type=BOrderType(changes["order_type"]),
        price=None if changes["price"] is None else Decimal(changes["price"]),
        trigger_price=None if changes["trigger_price"] is None else Decimal(changes["trigger_price"]),
    )
    try:
        result = broker.modify_order(order.broker_order_id, request)
    except BrokerRejected as exc:
        _modify_refused(order_id, exc.message, broker)
        return
    except BrokerUnavailable:
        return  # still MODIFY_PENDING; the sweep asks again
    except Exception as exc:
        logger.warning("modify of order %s ambiguous (%s); reconciliation will settle it", order_id, exc)
        return
    _apply_with_trades(order.account, broker, result, actor="worker")


def _modify_refused(order_id: int, message: str, broker) -> None:
    account_id = Order.objects.values_list("account_id", flat=True).get(id=order_id)
    with _locked(account_id) as books:
        order = books.lock_order(order_id)
        if order.status != OrderStatus.MODIFY_PENDING:
            return
        previous = order.pending_changes.get("from_status", OrderStatus.OPEN)
        order.pending_changes = None
        _move(order, previous, f"Modification refused: {message}", "broker", fields=("pending_changes",))
        _trim_reservation(order, books.funds)
    current = broker.order_status(order.broker_order_id)
    _apply_with_trades(order.account, broker, current, actor="reconciler")


def order_cancel_submit(*, order_id: int) -> None:
    order = Order.objects.select_related("account").get(id=order_id)
    if order.status != OrderStatus.CANCEL_PENDING:
        return
    broker = broker_for_account(order.account)
    try:
        result = broker.cancel_order(order.broker_order_id)
    except BrokerRejected:
        # Most often: it filled first. Take the broker's word for what happened.
        result = broker.order_status(order.broker_order_id)
    except BrokerUnavailable:
        return  # still CANCEL_PENDING; the sweep asks again
    except Exception as exc:
        logger.warning("cancel of order %s ambiguous (%s); reconciliation will settle it", order_id, exc)
        return
    _apply_with_trades(order.account, broker, result, actor="worker")


# --- Broker updates: the one path fills take -------------------------------------------------------


def order_id_from_tag(tag: str) -> int | None:
    if tag.startswith("T") and tag[1:].isdigit():
        return int(tag[1:])
    return None


def order_apply_update(*, update: OrderUpdate, actor: str = "broker") -> Order | None:
    """Apply what a broker says about an order: new fills, then its status. Idempotent."""
    order_id = order_id_from_tag(update.order.tag)
    if order_id is None:
        logger.warning("broker update for an order we did not tag: %s", update.order.tag)
        return None
    with _locked(update.account_id) as books:
        funds = books.funds
        order = books.lock_order(order_id, account_id=update.account_id)
        if order is None:
            logger.warning("broker update for unknown order %s", update.order.tag)
            return None
        if not order.broker_order_id:
            order.broker_order_id = update.order.broker_order_id
            _mark(order, "broker_order_id")
        if order.status == OrderStatus.MODIFY_PENDING and _modification_confirmed(order, update.order):
            _apply_modification(order, funds, update.order)
        filled_now = [_apply_trade(order, funds, trade) for trade in update.trades]
        _settle_status(order, funds, update.order, actor, fills=[t for t in filled_now if t])
        status, filled = order.status, order.filled_quantity
        transaction.on_commit(lambda: _remember_applied(order.id, update.order, status, filled))
    return order


def _modification_confirmed(order: Order, bo: BrokerOrder) -> bool:
    changes = order.pending_changes or {}

    def same(value, wanted):
        return (value is None and wanted is None) or (
            value is not None and wanted is not None and Decimal(value) == Decimal(wanted)
        )

    return (
        bo.quantity == changes.get("quantity")
        and (bo.order_type is None or bo.order_type == changes.get("order_type"))
        and same(bo.price, changes.get("price"))
        and same(bo.trigger_price, changes.get("trigger_price"))
    )


def _apply_modification(order: Order, funds: Funds, bo: BrokerOrder) -> None:
    changes = order.pending_changes
    order.quantity = changes["quantity"]
    order.order_type = changes["order_type"]
    order.price = None if changes["price"] is None else Decimal(changes["price"])
    order.trigger_price = None if changes["trigger_price"] is None else Decimal(changes["trigger_price"])
    required = Decimal(changes["required"])
    order.pending_changes = None  # confirmed: _settle_status moves it on to the broker's status
    _mark(order, "quantity", "order_type", "price", "trigger_price", "pending_changes")
    if order.reserved_amount > required:
        _release(order, funds, order.reserved_amount - required)


def _trim_reservation(order: Order, funds: Funds) -> None:
    """After a refused modification, keep only what the order as it stands needs."""
    pending = order.quantity - order.filled_quantity
    base = order.price if order.price is not None else None
    if base is None:
        return  # market-type orders keep their reservation until they end
    required = _money(pending * base * margin_rate(order.product))
    if order.reserved_amount > required:
        _release(order, funds, order.reserved_amount - required)


def _apply_trade(order: Order, funds: Funds, bt: BrokerTrade) -> Trade | None:
    # Reported before? (stream and reconciliation both deliver fills.) Trades are only stored here, with
    # filled_quantity raised in the same transaction, so an order with nothing filled has none yet.
    if (
        order.filled_quantity
        and Trade.objects.filter(account_id=order.account_id, broker_trade_id=bt.trade_id).exists()
    ):
        return None
    quantity = min(bt.quantity, order.quantity - order.filled_quantity)
    if quantity <= 0:
        logger.error("fill %s for order %s exceeds its quantity; ignored", bt.trade_id, order.id)
        return None
    trade = _insert_row(
        Trade(
            order=order,
            account_id=order.account_id,
            instrument_id=order.instrument_id,
            side=order.side,
            product=order.product,
            quantity=quantity,
            price=bt.price,
            broker_trade_id=bt.trade_id,
            executed_at=bt.executed_at,
        )
    )
    pending_before = order.quantity - order.filled_quantity
    previous_value = (order.average_price or ZERO) * order.filled_quantity
    order.filled_quantity += quantity
    order.average_price = ((previous_value + bt.price * quantity) / order.filled_quantity).quantize(PRICE_PLACES)
    _mark(order, "filled_quantity", "average_price")
    _release(order, funds, _money(order.reserved_amount * quantity / pending_before))
    realised, margin_change = position_apply_fill(
        account_id=order.account_id,
        instrument_id=order.instrument_id,
        product=order.product,
        side=order.side,
        quantity=quantity,
        price=bt.price,
    )
    if margin_change:
        funds.margin_used = max(ZERO, funds.margin_used + margin_change)
        _mark(funds, "margin_used")
    if realised:
        _ledger(
            funds, LedgerEntry.Kind.REALISED_PNL, realised, trade=trade, note=f"{order.instrument.symbol} #{order.id}"
        )
    return trade


_POSITION_MOVES = (
    "net_quantity",
    "average_price",
    "realised_pnl",
    "buy_quantity",
    "buy_value",
    "sell_quantity",
    "sell_value",
)


def position_apply_fill(
    *, account_id: int, instrument_id: int, product: str, side: str, quantity: int, price: Decimal
) -> tuple[Decimal, Decimal]:
    """Update the net position for one fill; return the P&L it realised and the change in its margin.

    Adding to a position moves its average price; reducing it realises
    (price - average) per unit in the position's direction; crossing zero
    closes the old side and opens the rest at the fill price.
    """
    # Callers hold the account's funds lock, so no one else creates this row meanwhile; a new one is
    # inserted once, when it is saved below.
    position = _lock_row(Position, account_id=account_id, instrument_id=instrument_id, product=product) or Position(
        account_id=account_id, instrument_id=instrument_id, product=product
    )
    margin_before = position_margin(product, position.net_quantity, position.average_price)
    signed = quantity if side == Side.BUY else -quantity
    net = position.net_quantity
    realised = ZERO
    if net == 0 or (net > 0) == (signed > 0):
        total = abs(net) + quantity
        # Rounded as stored, so what margin is computed from is what the database holds.
        position.average_price = ((abs(net) * position.average_price + quantity * price) / total).quantize(PRICE_PLACES)
    else:
        closing = min(quantity, abs(net))
        direction = 1 if net > 0 else -1
        realised = _money(closing * (price - position.average_price) * direction)
        if quantity > abs(net):
            position.average_price = price  # reversed: the remainder opens at the fill price
        elif quantity == abs(net):
            position.average_price = ZERO
    position.net_quantity = net + signed
    position.realised_pnl = _money(position.realised_pnl + realised)
    if side == Side.BUY:
        position.buy_quantity += quantity
        position.buy_value = _money(position.buy_value + quantity * price)
    else:
        position.sell_quantity += quantity
        position.sell_value = _money(position.sell_value + quantity * price)
    if position.pk is None:
        position.save()
    else:
        _update_row(position, [*_POSITION_MOVES, "updated_at"])
    return realised, position_margin(product, position.net_quantity, position.average_price) - margin_before


def _settle_status(order: Order, funds: Funds, bo: BrokerOrder, actor: str, fills: list[Trade]) -> None:
    fill_note = ", ".join(f"{t.quantity} @ {t.price.normalize()}" for t in fills)
    data = {"fills": [{"trade": t.broker_trade_id, "quantity": t.quantity, "price": str(t.price)} for t in fills]}
    if order.filled_quantity == order.quantity:
        if order.status != OrderStatus.FILLED:
            _move(order, OrderStatus.FILLED, f"Filled {fill_note}".strip(), actor, data=data)
            _release(order, funds)
        return
    if order.status in TERMINAL:
        return
    if bo.status in (BrokerStatus.CANCELLED, BrokerStatus.REJECTED):
        pending = order.pending_changes or {}
        if bo.status == BrokerStatus.REJECTED:
            _end(
                order,
                funds,
                OrderStatus.REJECTED,
                f"Rejected by the broker: {bo.message}",
                actor,
                code="broker_rejected",
            )
        elif order.validity == Validity.IOC and order.status != OrderStatus.CANCEL_PENDING:
            _end(order, funds, OrderStatus.EXPIRED, bo.message or "IOC remainder cancelled", actor)
        elif pending.get("expire"):
            _end(order, funds, OrderStatus.EXPIRED, "Expired at the end of the day", actor)
        else:
            _end(order, funds, OrderStatus.CANCELLED, pending.get("cancel_reason", bo.message or "Cancelled"), actor)
        return
    if bo.status == BrokerStatus.COMPLETE:
        return  # its fills have not reached us yet; they will (stream or reconciliation)
    awaiting = order.status == OrderStatus.CANCEL_PENDING or (
        order.status == OrderStatus.MODIFY_PENDING and order.pending_changes
    )
    if awaiting:
        if fills:
            _event(order, order.status, order.status, f"Partly filled {fill_note} while pending", actor, data)
        return  # the pending request's own answer moves it on
    if order.filled_quantity:
        target = OrderStatus.PARTIALLY_FILLED
    elif bo.status == BrokerStatus.TRIGGER_PENDING:
        target = OrderStatus.TRIGGER_PENDING
    else:
        target = OrderStatus.OPEN
    if target != order.status:
        if fills:
            reason = f"Partly filled {fill_note}"
        elif order.status == OrderStatus.MODIFY_PENDING:
            reason = "Modification confirmed by the broker"
        elif order.status == OrderStatus.TRIGGER_PENDING:
            reason = "Triggered"
        else:
            reason = "Accepted by the broker"
        _move(order, target, reason, actor, data=data if fills else {"broker_order_id": bo.broker_order_id})
    elif fills:
        _event(order, order.status, order.status, f"Partly filled {fill_note}", actor, data)


def on_broker_update(update: OrderUpdate) -> None:
    """Subscribed to brokers.base.order_updates in OrdersConfig.ready."""
    order_apply_update(update=update, actor="broker")


# --- Sweeps: the outbox, reconciliation, end of day ------------------------------------------------


def orders_outbox_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Queue again what a lost message or a dead worker left behind. Duplicates are harmless:
    each task claims its order with a conditional update first."""
    from datetime import timedelta

    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_RESEND_AFTER_SECONDS)
    counts = {}
    for status, task in (
        (OrderStatus.NEW, "broker_place_order"),
        (OrderStatus.CANCEL_PENDING, "broker_cancel_order"),
        (OrderStatus.MODIFY_PENDING, "broker_modify_order"),
    ):
        ids = list(Order.objects.filter(status=status, updated_at__lt=stale).values_list("id", flat=True)[:500])
        for order_id in ids:
            _enqueue(task, order_id)
        counts[status] = len(ids)
    return counts


def orders_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """Compare what we believe with what the broker says, and take the broker's word.

    - UNKNOWN orders, and SUBMITTED ones past the grace period, are looked up
      by tag: found, they take the broker's state (and fills); not found after
      the grace period, they never reached it and go back to NEW to be sent.
    - Working orders not updated for a while get their status and fills
      fetched, which repairs a missed order-update message.
    """
    from datetime import timedelta

    from brokers.base import BrokerError

    now = now or timezone.now()
    grace = now - timedelta(seconds=settings.ORDER_SUBMIT_GRACE_SECONDS)
    counts = {"found": 0, "resent": 0, "refreshed": 0}
    doubtful = Order.objects.filter(status__in=[OrderStatus.UNKNOWN, OrderStatus.SUBMITTED]).select_related(
        "account", "instrument"
    )
    for order in doubtful[:200]:
        if order.status == OrderStatus.SUBMITTED and order.submitted_at and order.submitted_at > grace:
            continue  # the worker may still be waiting for the broker's answer
        broker = broker_for_account(order.account)
        try:
            found = broker.find_order_by_tag(order.broker_tag)
        except BrokerError as exc:
            logger.warning("reconcile: cannot look up %s: %s", order.broker_tag, exc)
            continue
        if found is not None:
            _apply_with_trades(order.account, broker, found, actor="reconciler")
            counts["found"] += 1
        elif order.submitted_at is None or order.submitted_at <= grace:
            with _locked(order.account_id) as books:
                locked = books.lock_order(order.id)
                if locked.status in (OrderStatus.UNKNOWN, OrderStatus.SUBMITTED):
                    _move(
                        locked,
                        OrderStatus.NEW,
                        "Not found at the broker: it never arrived; sending again",
                        "reconciler",
                    )
                    transaction.on_commit(lambda oid=order.id: _enqueue("broker_place_order", oid))
                    counts["resent"] += 1
    quiet = now - timedelta(seconds=10)
    working = Order.objects.filter(status__in=WORKING, updated_at__lt=quiet).exclude(broker_order_id=None)
    for order in working.select_related("account")[:500]:
        broker = broker_for_account(order.account)
        try:
            current = broker.order_status(order.broker_order_id)
        except BrokerError as exc:
            logger.warning("reconcile: cannot refresh order %s: %s", order.id, exc)
            continue
        if current.filled_quantity != order.filled_quantity or current.status.value not in ("open", "trigger_pending"):
            _apply_with_trades(order.account, broker, current, actor="reconciler")
            counts["refreshed"] += 1
    return counts


def orders_expire_day(*, now: datetime | None = None) -> int:
    """End of day: DAY orders still working expire (cancelled at the broker, then EXPIRED)."""
    expired = 0
    for order in Order.objects.filter(validity=Validity.DAY).exclude(status__in=TERMINAL):
        with _locked(order.account_id) as books:
            order = books.lock_order(order.id)
            if order.status == OrderStatus.NEW:
                _end(
                    order,
                    books.funds,
                    OrderStatus.EXPIRED,
                    "Expired at the end of the day before it was sent",
                    "system",
                )
            elif order.status in MODIFIABLE:
                order.pending_changes = {"expire": True, "from_status": order.status}
                _move(order, OrderStatus.CANCEL_PENDING, "End of day", "system", fields=("pending_changes",))
                transaction.on_commit(lambda oid=order.id: _enqueue("broker_cancel_order", oid))
            else:
                continue
            expired += 1
    return expired


def mis_orders_cancel() -> int:
    """Square-off, step one: cancel working intraday orders so they cannot fill behind our back."""
    count = 0
    for order in Order.objects.filter(product=Product.MIS, status__in=MODIFIABLE | {OrderStatus.NEW}).select_related(
        "user"
    ):
        try:
            order_cancel(user=order.user, order=order, reason="Intraday square-off", actor="system")
            count += 1
        except Conflict:
            continue
    return count


def mis_positions_close() -> int:
    """Square-off, step two: close every open intraday position at market."""
    count = 0
    accounts = Position.objects.filter(product=Product.MIS).exclude(net_quantity=0).values_list("account", flat=True)
    for account in TradingAccount.objects.filter(id__in=set(accounts)).select_related("user"):
        try:
            count += len(positions_close(user=account.user, product=Product.MIS))
        except (RuleViolation, InvalidInput) as exc:
            logger.error("square-off for %s failed: %s", account, exc)
    return count
