"""What reconciliation learns from a live broker beyond our own orders: orders placed elsewhere
(the broker's own app) and positions that disagree with ours. Both are recorded, never overwritten."""

import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from django.db import transaction

from accounts.models import TradingAccount
from brokers.base import Broker, BrokerError, BrokerOrder, Product
from core import events
from notifications.models import Notification
from notifications.services import notification_create

from ..events import PositionMismatchFound
from ..models import TERMINAL, ExternalOrder, Order, Position, PositionMismatch

logger = logging.getLogger(__name__)

_EXTERNAL_FIELDS = (
    "tag",
    "exchange",
    "symbol",
    "side",
    "product",
    "order_type",
    "quantity",
    "filled_quantity",
    "price",
    "average_price",
    "status",
    "message",
)


def _external_values(bo: BrokerOrder) -> dict:
    return {
        "tag": bo.tag[:20],
        "exchange": bo.exchange[:8],
        "symbol": bo.symbol[:64],
        "side": bo.side[:4],
        "product": str(bo.product)[:4],
        "order_type": str(bo.order_type or "")[:6],
        "quantity": bo.quantity,
        "filled_quantity": bo.filled_quantity,
        "price": bo.price,
        "average_price": bo.average_price,
        "status": str(bo.status),
        "message": bo.message[:200],
    }


def external_orders_record(
    *, account: TradingAccount, book: list[BrokerOrder], is_ours: Callable[[str], bool], now: datetime
) -> int:
    """Record (or bring up to date) every order in the broker's book that we did not place. Returns how many
    were new; the trader is told about each new one."""
    theirs = {bo.broker_order_id: bo for bo in book if bo.broker_order_id and not is_ours(bo.tag)}
    if not theirs:
        return 0
    known = {
        row.broker_order_id: row for row in ExternalOrder.objects.filter(account=account, broker_order_id__in=theirs)
    }
    new = 0
    for broker_order_id, bo in theirs.items():
        values = _external_values(bo)
        row = known.get(broker_order_id)
        if row is None:
            new += _external_create(account, broker_order_id, values, now)
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.save(update_fields=[*_EXTERNAL_FIELDS, "updated_at"])
    return new


def _external_create(account: TradingAccount, broker_order_id: str, values: dict, now: datetime) -> int:
    with transaction.atomic():
        _, created = ExternalOrder.objects.get_or_create(
            account=account, broker_order_id=broker_order_id, defaults={**values, "first_seen_at": now}
        )
        if created:
            text = (
                f"An order placed outside the platform was found at the broker: {values['side']} "
                f"{values['quantity']} {values['symbol']} ({values['status']})."
            )
            notification_create(
                user_id=account.user_id,
                account_id=account.id,
                code="external_order",
                message=text,
                level=Notification.Level.WARNING,
            )
    return int(created)


# --- Positions ------------------------------------------------------------------------------------

Key = tuple[str, str, str]  # exchange, symbol, product


def _broker_positions(broker: Broker) -> dict[Key, tuple[int, Decimal | None]]:
    """Net quantity and average per key: the day's positions plus, for delivery, the holdings."""
    found: dict[Key, tuple[int, Decimal | None]] = {}
    for p in [*broker.positions(), *broker.holdings()]:
        key = (p.exchange, p.symbol, str(p.product))
        quantity, average = found.get(key, (0, None))
        found[key] = (quantity + p.net_quantity, average or p.average_price)
    return found


def _our_positions(account: TradingAccount) -> dict[Key, tuple[int, Decimal | None]]:
    rows = Position.objects.filter(account=account).select_related("instrument")
    return {(p.instrument.exchange, p.instrument.symbol, p.product): (p.net_quantity, p.average_price) for p in rows}


def _busy(account: TradingAccount) -> set[Key]:
    """Positions an order of ours may be changing right now: comparing them would raise false alarms."""
    working = Order.objects.filter(account=account).exclude(status__in=TERMINAL).select_related("instrument")
    return {(o.instrument.exchange, o.instrument.symbol, o.product) for o in working}


def positions_compare(*, account: TradingAccount, broker: Broker, now: datetime) -> int:
    """Compare our positions with the broker's; record each disagreement (both sides) and close the record
    when they agree again. Returns how many new mismatches were found."""
    try:
        theirs = _broker_positions(broker)
    except BrokerError as exc:
        logger.warning("reconcile: cannot read the positions of account %s: %s", account.id, exc)
        return 0
    ours, busy = _our_positions(account), _busy(account)
    open_rows = {
        (m.exchange, m.symbol, m.product): m for m in PositionMismatch.objects.filter(account=account, resolved_at=None)
    }
    new = 0
    for key in (ours.keys() | theirs.keys()) - busy:
        mine, broker_side = ours.get(key, (0, None)), theirs.get(key, (0, None))
        row = open_rows.get(key)
        if mine[0] == broker_side[0]:
            if row is not None:
                row.resolved_at = now
                row.save(update_fields=["resolved_at"])
            continue
        new += _mismatch_record(account, key, mine, broker_side, row, now)
    return new


def _mismatch_record(account, key: Key, mine, broker_side, row: PositionMismatch | None, now: datetime) -> int:
    figures = {
        "platform_quantity": mine[0],
        "platform_average": mine[1] if mine[0] else None,
        "broker_quantity": broker_side[0],
        "broker_average": broker_side[1] if broker_side[0] else None,
    }
    if row is not None:
        for name, value in figures.items():
            setattr(row, name, value)
        row.last_seen_at = now
        row.save(update_fields=[*figures, "last_seen_at"])
        return 0
    exchange, symbol, product = key
    row = PositionMismatch.objects.create(
        account=account,
        exchange=exchange,
        symbol=symbol,
        product=Product(product),
        detected_at=now,
        last_seen_at=now,
        **figures,
    )
    logger.warning("position mismatch for account %s: %s", account.id, row)
    events.publish(
        PositionMismatchFound(
            mismatch_id=row.id,
            account_id=account.id,
            exchange=exchange,
            symbol=symbol,
            product=product,
            platform_quantity=mine[0],
            broker_quantity=broker_side[0],
            platform_average=figures["platform_average"],
            broker_average=figures["broker_average"],
        )
    )
    return 1
