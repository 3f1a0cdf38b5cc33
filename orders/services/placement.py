"""Placing orders: validate, check, reserve funds and store the order as NEW, all in one transaction.

The broker call happens later, in a Celery task queued on commit (submission.py).
"""

import hashlib
import json
from dataclasses import asdict, dataclass
from decimal import Decimal
from functools import partial

from django.db import IntegrityError
from django.db.models import F, Sum

from accounts.models import TradingAccount
from accounts.selectors import default_account_for
from core import clock
from core.db import get_or_none
from core.errors import Conflict, DomainError, NotFound, RuleViolation
from core.formatting import inr, quantity
from marketdata import market_hours
from marketdata.models import Instrument
from marketdata.quotes import CachedQuote, is_stale, quotes_get
from risk.checking import SQUARE_OFF_SOURCE, risk_refusal, risk_rejection_record
from risk.checks import RiskViolation
from risk.profiles import risk_profile_for

from .. import lifecycle
from .. import metrics as order_metrics
from ..books import ZERO, AccountBooks, insufficient_funds_message, money
from ..models import TERMINAL, Order, OrderStatus, OrderType, Position, Product, Side, Validity
from ..validation import (
    OrderParams,
    blocked_amount,
    check_against_market,
    check_instrument,
    check_product,
    check_shape,
    reference_price,
)
from .account_mode import broker_ready
from .dispatch import enqueue_on_commit


def order_place(
    *,
    user,
    instrument: Instrument,
    params: OrderParams,
    client_order_id: str | None = None,
    tag: str = "",
    source: str = "api",
    account: TradingAccount | None = None,
) -> tuple[Order, bool]:
    """Returns (order, created). The order is for `account` (one of the user's; None: their default).

    The same client_order_id with the same request returns the first order and
    creates nothing; with a different request it is a Conflict.
    """
    try:
        order, created = _place(
            user=user,
            account=account,
            instrument=instrument,
            params=params,
            client_order_id=client_order_id,
            tag=tag,
            source=source,
        )
    except DomainError as exc:
        order_metrics.order_refused(exc.code)
        raise
    if created:
        order_metrics.order_placed(source)
    return order, created


def _place(*, user, account, instrument, params, client_order_id, tag, source) -> tuple[Order, bool]:
    account = _account_of(user, account)
    fingerprint = _fingerprint(instrument, params, tag)
    if client_order_id and (existing := _existing_for_key(user, account, client_order_id, fingerprint)):
        return _repeat(existing), False
    quote = _check_order(account, instrument, params)
    request = dict(user=user, account=account, instrument=instrument, params=params, quote=quote)
    try:
        return _reserve_and_store(**request, key=client_order_id, fingerprint=fingerprint, tag=tag, source=source)
    except IntegrityError:
        # Lost a race for the same key in a way the lock did not serialise (no account row yet).
        existing = client_order_id and _existing_for_key(user, account, client_order_id, fingerprint)
        if not existing:
            raise
        return _repeat(existing), False


def _repeat(existing: Order) -> Order:
    """The first answer again: the order, or the risk refusal it met (as the same 422)."""
    if existing.status == OrderStatus.REJECTED and existing.rejection_code.startswith("risk_"):
        raise RiskViolation(existing.rejection_reason, code=existing.rejection_code)
    return existing


def _account_of(user, account: TradingAccount | None) -> TradingAccount:
    if account is not None and account.user_id != user.pk:
        raise NotFound(f"You have no trading account #{account.pk}.", code="account_not_found")
    account = account or default_account_for(user)
    if account is None:
        raise RuleViolation("You have no trading account yet.", code="no_trading_account")
    return account


def _fingerprint(instrument: Instrument, params: OrderParams, tag: str) -> str:
    body = {"instrument": instrument.id, "tag": tag, **asdict(params)}
    canonical = json.dumps(body, sort_keys=True, default=lambda v: str(v.normalize()) if isinstance(v, Decimal) else v)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _existing_for_key(user, account: TradingAccount, key: str, fingerprint: str) -> Order | None:
    existing = get_or_none(Order.objects.filter(user=user, client_order_id=key))
    if existing is not None and existing.account_id != account.id:
        # client_order_id is unique per user: used on another of their accounts, it is taken, and that
        # account's order is not shown through this one.
        raise Conflict(
            f"client_order_id {key!r} was already used for an order of another of your accounts.",
            code="idempotency_key_reused",
            field="client_order_id",
        )
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise Conflict(
            f"client_order_id {key!r} was already used for a different order (#{existing.id}).",
            code="idempotency_key_reused",
            field="client_order_id",
        )
    return existing


def _check_order(account: TradingAccount, instrument: Instrument, params: OrderParams) -> CachedQuote | None:
    """The order's own rules, the market's and the clock's; returns the quote they were checked against."""
    now = clock.now()
    check_instrument(instrument, clock.ist_date(now))
    check_shape(params, instrument)
    check_product(params, instrument)
    found, _ = quotes_get([instrument.id])
    quote = found.get(instrument.id)
    check_against_market(params, quote, quote is not None and is_stale(quote))
    if not account.always_open and not market_hours.is_open(instrument.exchange, now):
        raise RuleViolation(market_hours.closed_message(instrument.exchange, now), code="market_closed")
    return quote


def _reserve_and_store(
    *, user, account, instrument, params, quote, key, fingerprint, tag, source
) -> tuple[Order, bool]:
    with AccountBooks.locked(account.id) as books:
        # Checked again under the lock: concurrent requests with one key queue here.
        if key and (existing := _existing_for_key(user, account, key, fingerprint)):
            return existing, False
        # The profile and the account's row as they are now, in one read under the lock a switch between
        # paper and live takes too: the mode read here is the one the order is stored under.
        profile = risk_profile_for(account.id, with_account=True)
        broker_ready(account, current=profile.account)  # live: breaker open, session expired, not connected
        need = order_funds_required(account=account, instrument=instrument, params=params, quote=quote)
        refused = risk_refusal(
            account=account,
            platform_halted=books.platform_halted,
            usage=books.usage,
            instrument=instrument,
            params=params,
            quote=quote,
            reducing=need.opening_quantity == 0,
            price=need.price,
            source=source,
            profile=profile,
        )
        new = dict(
            user=user,
            account=account,
            instrument=instrument,
            params=params,
            client_order_id=key or None,
            request_fingerprint=fingerprint,
            tag=tag,
            source=source,
            check_price=need.price,
        )
        if refused is None:
            return _store_accepted(books, required=need.amount, **new), True
        rejected = _store_refused(books, refused, **new) if refused.store else None
        risk_rejection_record(account_id=account.id, refused=refused, order_id=rejected and rejected.id)
    raise refused  # after the commit: the refused order and the account's new state are kept


def _new_order(books: AccountBooks, status: str, reason: str, actor: str, *, reserve=ZERO, **fields) -> Order:
    """Stored with its first status (and its reservation), counted in the account's orders today (and this
    second and minute) by the books."""
    order = Order(account_id=fields.pop("account").id, **asdict(fields.pop("params")), **fields)
    return lifecycle.begin(order, status, reason, actor, store=partial(books.store_order, reserve=reserve))


def _store_accepted(books: AccountBooks, *, required, user, **new) -> Order:
    if required > books.available:
        raise RuleViolation(
            insufficient_funds_message(required, books.available), code="insufficient_funds", field="quantity"
        )
    reason = f"Accepted; ₹{inr(required)} reserved"
    order = _new_order(books, OrderStatus.NEW, reason, f"user:{user.username}", reserve=required, user=user, **new)
    enqueue_on_commit("broker_place_order", order.id)
    return order


def _store_refused(books: AccountBooks, refused, *, user, **new) -> Order:
    """Kept in the book as REJECTED, with the limit that refused it in its history."""
    reason = f"Refused by risk checks: {refused.message}"
    return _new_order(
        books,
        OrderStatus.REJECTED,
        reason,
        "risk",
        user=user,
        rejection_code=refused.code,
        rejection_reason=refused.message[:300],
        **new,
    )


@dataclass(frozen=True, kw_only=True)
class FundsRequired:
    opening_quantity: int  # the part that opens or adds to a position; closing needs no funds
    price: Decimal  # what it is valued at (reference_price: the limit, or the market plus a buffer)
    amount: Decimal


def order_funds_required(
    *, account: TradingAccount, instrument: Instrument, params: OrderParams, quote: CachedQuote | None
) -> FundsRequired:
    """What placing this order blocks now: placement runs exactly this under its lock; the ticket shows it."""
    opening = _opening_quantity(account, instrument, params)
    at = reference_price(params, quote)
    amount = blocked_amount(instrument=instrument, side=params.side, product=params.product, quantity=opening, price=at)
    return FundsRequired(opening_quantity=opening, price=at, amount=money(amount))


def _committed_to_close(account, instrument, product: str, side: str) -> int:
    """Quantity that working orders on this side already commit (to closing a position)."""
    working = Order.objects.filter(account=account, instrument=instrument, product=product, side=side).exclude(
        status__in=TERMINAL
    )
    return working.aggregate(q=Sum(F("quantity") - F("filled_quantity")))["q"] or 0


def _opening_quantity(account: TradingAccount, instrument: Instrument, params: OrderParams) -> int:
    """How much of this order opens or adds to a position (needs margin) rather than closing one.

    CNC sells must be covered by the holding, after what other open sell orders already cover.
    """
    if params.product == Product.CNC and params.side == Side.BUY:
        return params.quantity  # delivery is never short: a CNC buy always opens or adds
    position = get_or_none(Position.objects.filter(account=account, instrument=instrument, product=params.product))
    held = position.net_quantity if position else 0
    closing_direction = (params.side == Side.SELL and held > 0) or (params.side == Side.BUY and held < 0)
    closable = 0
    if closing_direction:
        closable = max(0, abs(held) - _committed_to_close(account, instrument, params.product, params.side))
    if params.product == Product.CNC and params.side == Side.SELL and params.quantity > closable:
        raise RuleViolation(
            f"You can sell at most {quantity(closable)} of {instrument.display_name} in CNC "
            "(your holding, less open sell orders).",
            code="insufficient_holdings",
            field="quantity",
        )
    return params.quantity - min(params.quantity, closable)


def positions_close(
    *,
    user,
    instrument: Instrument | None = None,
    product: str | None = None,
    account: TradingAccount | None = None,
) -> list[Order]:
    """Square off: a MARKET order against each matching open position of `account` (None: the user's default),
    for what is not already being closed."""
    account = account or default_account_for(user)
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
        quantity = abs(position.net_quantity) - _committed_to_close(
            account, position.instrument, position.product, side
        )
        if quantity <= 0:
            continue
        params = OrderParams(
            side=side,
            quantity=quantity,
            order_type=OrderType.MARKET,
            product=position.product,
            validity=Validity.DAY,
            price=None,
            trigger_price=None,
        )
        order, _ = order_place(
            user=user,
            account=account,
            instrument=position.instrument,
            params=params,
            tag="square-off",
            source=SQUARE_OFF_SOURCE,
        )
        orders.append(order)
    return orders
