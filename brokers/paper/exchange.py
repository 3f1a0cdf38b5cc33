"""The paper broker: a simulated exchange behind the same interface as a real broker.

Orders arrive from Celery workers (place/modify/cancel); marketable ones match
on arrival against the latest quote, the rest rest in the book and are matched
by the engine (engine.py) in the feed process as ticks arrive. Every change is
a conditional update on the PaperOrder row (status and version), so a fill
racing a cancel or a modification can only ever win once. Fills and status
changes are published on the order-update bus after commit: the same path a
real broker's order stream takes.
"""

import logging
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from core import faults
from core.errors import NotFound
from marketdata import fills
from marketdata.quotes import quotes_get
from marketdata.selectors import instrument_cached, instrument_get_by_key, instrument_refs_resolve

from ..base import (
    Broker,
    BrokerFunds,
    BrokerOrder,
    BrokerPosition,
    BrokerQuote,
    BrokerRejected,
    BrokerStatus,
    BrokerTrade,
    ModifyOrderRequest,
    OrderType,
    OrderUpdate,
    PlaceOrderRequest,
    Product,
    Side,
    Validity,
    order_updates,
)
from ..models import PaperFill, PaperOrder

logger = logging.getLogger(__name__)
LIVE = [PaperOrder.Status.OPEN, PaperOrder.Status.TRIGGER_PENDING]


def _slippage() -> fills.Slippage:
    return fills.Slippage(bps=settings.PAPER_SLIPPAGE_BPS)


def to_broker_order(po: PaperOrder) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id=f"P{po.id}",
        tag=po.tag,
        status=BrokerStatus(po.status),
        quantity=po.quantity,
        filled_quantity=po.filled_quantity,
        average_price=po.average_price,
        price=po.price,
        trigger_price=po.trigger_price,
        order_type=OrderType(po.order_type),
        message=po.message,
        updated_at=po.updated_at,
    )


def to_broker_trade(fill: PaperFill, po: PaperOrder) -> BrokerTrade:
    return BrokerTrade(
        trade_id=f"PF{fill.id}",
        broker_order_id=f"P{po.id}",
        tag=po.tag,
        side=Side(po.side),
        quantity=fill.quantity,
        price=fill.price,
        executed_at=fill.executed_at,
    )


def _publish(po_id: int, trades: tuple[BrokerTrade, ...] = ()) -> None:
    po = PaperOrder.objects.get(id=po_id)
    order_updates.publish(OrderUpdate(account_id=po.account_id, order=to_broker_order(po), trades=trades))


def execute_fill(po_id: int, version: int, price: Decimal) -> bool:
    """Fill the whole remaining quantity at `price` if the order is still as we saw it."""
    now = datetime.now(UTC)
    with transaction.atomic():
        po = PaperOrder.objects.select_for_update().filter(id=po_id, version=version, status__in=LIVE).first()
        if po is None:
            return False  # cancelled, modified or filled meanwhile: this match is void
        quantity = po.quantity - po.filled_quantity
        PaperOrder.objects.filter(id=po_id).update(
            status=PaperOrder.Status.COMPLETE,
            filled_quantity=po.quantity,
            average_price=price,
            version=F("version") + 1,
            engine_synced=False,
            updated_at=now,
        )
        fill = PaperFill.objects.create(order=po, quantity=quantity, price=price, executed_at=now)
        trade = to_broker_trade(fill, po)
        transaction.on_commit(lambda: _publish(po_id, (trade,)))
    return True


def _set_status(po_id: int, version: int, status: str, message: str = "", **changes) -> bool:
    updated = PaperOrder.objects.filter(id=po_id, version=version, status__in=LIVE).update(
        status=status,
        message=message,
        version=F("version") + 1,
        engine_synced=False,
        updated_at=datetime.now(UTC),
        **changes,
    )
    if updated:
        transaction.on_commit(lambda: _publish(po_id))
    return bool(updated)


def match_now(po: PaperOrder, market: fills.Market | None) -> None:
    """Match an order against the market as it is now (on arrival, trigger or modification)."""
    if market is None:
        if po.order_type == OrderType.MARKET or po.validity == Validity.IOC:
            _set_status(po.id, po.version, PaperOrder.Status.REJECTED, "No market price for this instrument.")
        return
    waiting = po.status == PaperOrder.Status.TRIGGER_PENDING
    outcome = fills.meet(
        order_type=po.order_type,
        side=po.side,
        limit=po.price,
        trigger=po.trigger_price,
        triggered=not waiting,
        arriving=True,
        market=market,
        tick=po.instrument.tick_size,
        slippage=_slippage(),
    )
    if outcome.waiting:
        return
    if waiting and po.order_type == OrderType.SL:
        # A triggered stop-limit is reported OPEN before it fills, as the exchange does.
        if not _set_status(po.id, po.version, PaperOrder.Status.OPEN, "Triggered"):
            return
        po.refresh_from_db()
    if outcome.price is not None:
        execute_fill(po.id, po.version, outcome.price)
    elif po.validity == Validity.IOC:
        _set_status(po.id, po.version, PaperOrder.Status.CANCELLED, "IOC: no immediate match; remainder cancelled.")


def arrival_outcome(
    request: PlaceOrderRequest, tick: Decimal, market: fills.Market | None
) -> tuple[str, Decimal | None, str]:
    """What the exchange does with a new order at once: (status, fill price or None, message)."""
    Status = PaperOrder.Status
    stop = request.order_type in (OrderType.SL, OrderType.SL_M)
    if market is None:
        if request.order_type == OrderType.MARKET or request.validity == Validity.IOC:
            return Status.REJECTED, None, "No market price for this instrument."
        return (Status.TRIGGER_PENDING if stop else Status.OPEN), None, ""
    outcome = fills.meet(
        order_type=request.order_type,
        side=request.side,
        limit=request.price,
        trigger=request.trigger_price,
        triggered=False,
        arriving=True,
        market=market,
        tick=tick,
        slippage=_slippage(),
    )
    if outcome.waiting:
        return Status.TRIGGER_PENDING, None, ""
    if outcome.price is not None:
        return Status.COMPLETE, outcome.price, ""
    if request.validity == Validity.IOC:
        return Status.CANCELLED, None, "IOC: no immediate match; remainder cancelled."
    return Status.OPEN, None, "Triggered" if stop else ""


def current_market(instrument_id: int) -> fills.Market | None:
    found, _ = quotes_get([instrument_id])
    quote = found.get(instrument_id)
    if quote is None or quote.ltp is None:
        return None
    return fills.Market(ltp=quote.ltp, bid=quote.bid, ask=quote.ask)


class PaperBroker(Broker):
    name = "paper"

    def __init__(self, account_id: int) -> None:
        self.account_id = account_id

    def _get(self, broker_order_id: str) -> PaperOrder:
        try:
            pk = int(broker_order_id.removeprefix("P"))
        except ValueError:
            raise BrokerRejected(f"Order {broker_order_id} not found.", code="order_not_found") from None
        po = PaperOrder.objects.select_related("instrument").filter(id=pk, account_id=self.account_id).first()
        if po is None:
            raise BrokerRejected(f"Order {broker_order_id} not found.", code="order_not_found")
        return po

    def place_order(self, request: PlaceOrderRequest) -> BrokerOrder:
        try:
            instrument = instrument_cached(exchange=request.exchange, symbol=request.symbol)
        except NotFound:
            raise BrokerRejected(
                f"Symbol {request.exchange}:{request.symbol} not found.", code="symbol_not_found"
            ) from None
        if instrument.is_index:
            raise BrokerRejected(f"{instrument.key} is an index and cannot be traded.", code="not_tradable")
        status, fill_price, message = arrival_outcome(request, instrument.tick_size, current_market(instrument.id))
        now = datetime.now(UTC)
        try:
            with transaction.atomic():
                po = PaperOrder.objects.create(
                    account_id=self.account_id,
                    tag=request.tag,
                    instrument=instrument,
                    side=request.side,
                    quantity=request.quantity,
                    order_type=request.order_type,
                    product=request.product,
                    validity=request.validity,
                    price=request.price,
                    trigger_price=request.trigger_price,
                    status=status,
                    filled_quantity=request.quantity if fill_price is not None else 0,
                    average_price=fill_price,
                    message=message,
                    engine_synced=status not in LIVE,  # the engine only needs what rests
                )
                trades = ()
                if fill_price is not None:
                    fill = PaperFill.objects.create(
                        order=po, quantity=request.quantity, price=fill_price, executed_at=now
                    )
                    trades = (to_broker_trade(fill, po),)
        except IntegrityError:  # the tag is unique per account: a repeated placement finds the first order
            return to_broker_order(PaperOrder.objects.get(account_id=self.account_id, tag=request.tag))
        faults.point("paper.accepted_before_reporting")
        answer = to_broker_order(po)
        if trades or status not in LIVE:
            delivered = order_updates.publish(OrderUpdate(account_id=self.account_id, order=answer, trades=trades))
            return replace(answer, reported=delivered)
        return answer

    def modify_order(self, broker_order_id: str, request: ModifyOrderRequest) -> BrokerOrder:
        po = self._get(broker_order_id)
        if po.status not in LIVE:
            raise BrokerRejected(f"Order is {po.status}; only open orders can be modified.", code="order_not_open")
        if request.quantity < po.filled_quantity:
            raise BrokerRejected("Quantity cannot go below what is already filled.", code="invalid_quantity")
        stop = request.order_type in (OrderType.SL, OrderType.SL_M)
        status = PaperOrder.Status.TRIGGER_PENDING if stop else PaperOrder.Status.OPEN
        changed = _set_status(
            po.id,
            po.version,
            status,
            "Modified",
            quantity=request.quantity,
            order_type=request.order_type,
            price=request.price,
            trigger_price=request.trigger_price,
        )
        if not changed:
            po.refresh_from_db()
            raise BrokerRejected(f"Order is {po.status}; it changed while modifying.", code="order_not_open")
        po.refresh_from_db()
        match_now(po, current_market(po.instrument_id))
        po.refresh_from_db()
        return to_broker_order(po)

    def cancel_order(self, broker_order_id: str) -> BrokerOrder:
        po = self._get(broker_order_id)
        if po.status == PaperOrder.Status.CANCELLED:
            return to_broker_order(po)  # cancelling twice is harmless at the exchange
        if not _set_status(po.id, po.version, PaperOrder.Status.CANCELLED, "Cancelled by user"):
            po.refresh_from_db()
            if po.status == PaperOrder.Status.CANCELLED:
                return to_broker_order(po)
            raise BrokerRejected(f"Order is {po.status}; it can no longer be cancelled.", code="order_not_open")
        po.refresh_from_db()
        return to_broker_order(po)

    def order_book(self) -> list[BrokerOrder]:
        return [to_broker_order(po) for po in PaperOrder.objects.filter(account_id=self.account_id).order_by("id")]

    def order_status(self, broker_order_id: str) -> BrokerOrder:
        return to_broker_order(self._get(broker_order_id))

    def find_order_by_tag(self, tag: str) -> BrokerOrder | None:
        po = PaperOrder.objects.filter(account_id=self.account_id, tag=tag).first()
        return to_broker_order(po) if po else None

    def trades(self, broker_order_id: str | None = None) -> list[BrokerTrade]:
        fills = PaperFill.objects.select_related("order").filter(order__account_id=self.account_id)
        if broker_order_id:
            fills = fills.filter(order=self._get(broker_order_id))
        return [to_broker_trade(f, f.order) for f in fills.order_by("id")]

    def positions(self) -> list[BrokerPosition]:
        net: dict[tuple[int, str], list] = {}
        for fill in PaperFill.objects.select_related("order__instrument").filter(order__account_id=self.account_id):
            key = (fill.order.instrument_id, fill.order.product)
            qty = fill.quantity if fill.order.side == Side.BUY else -fill.quantity
            entry = net.setdefault(key, [fill.order.instrument, 0, Decimal(0)])
            entry[1] += qty
            entry[2] += qty * fill.price
        return [
            BrokerPosition(
                exchange=instrument.exchange,
                symbol=instrument.symbol,
                product=Product(product),
                net_quantity=qty,
                average_price=(value / qty) if qty else Decimal(0),
            )
            for (_, product), (instrument, qty, value) in net.items()
            if qty
        ]

    def holdings(self) -> list[BrokerPosition]:
        return [p for p in self.positions() if p.product == Product.CNC and p.net_quantity > 0]

    def funds(self) -> BrokerFunds:
        return BrokerFunds(
            available=None, used_margin=None, notes="The paper exchange holds no money; the platform's ledger does."
        )

    def quotes(self, keys: list[tuple[str, str]]) -> list[BrokerQuote]:
        refs = {ref.id: ref for ref in instrument_refs_resolve(keys).values()}
        found, _ = quotes_get(list(refs))
        return [
            BrokerQuote(exchange=refs[pk].exchange, symbol=refs[pk].symbol, ltp=q.ltp, bid=q.bid, ask=q.ask)
            for pk, q in found.items()
        ]

    def candles(self, exchange: str, symbol: str, interval: str, start: datetime, end: datetime) -> list[dict]:
        from marketdata.selectors import candles_list

        instrument = instrument_get_by_key(exchange=exchange, symbol=symbol)
        return list(
            candles_list(instrument=instrument, interval=interval, start=start, end=end).values(
                "start", "open", "high", "low", "close", "volume"
            )
        )
