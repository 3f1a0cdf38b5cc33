"""AngelOneBroker: brokers.base.Broker over SmartAPI.

The platform's order id travels as `ordertag`, so reconciliation can find an
order at the broker whatever happened to the answer of placeOrder. Failures
leave as brokers.base errors: BrokerRejected (certainly refused),
BrokerUnavailable (certainly not sent: circuit open, rate limit, connection
refused) or BrokerAmbiguous (a write that may have reached the broker).
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from django.conf import settings
from django.core.cache import cache

from accounts.models import TradingAccount

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
    PlaceOrderRequest,
)
from ..models import BrokerAccount
from . import endpoints as ep
from . import market
from .client import SmartApiClient
from .envelope import dec
from .errors import AngelError, BrokerInternal, InputError, as_broker_error
from .mapping import (
    ORDER_TYPES,
    holding_from_row,
    order_from_row,
    place_body,
    position_from_row,
    status_of,
    trade_from_row,
)
from .session import today_ist

logger = logging.getLogger(__name__)
_clients: dict[int, SmartApiClient] = {}
_clients_lock = threading.Lock()
ORDER_MEMO_SECONDS = 36 * 3600  # orderid -> (uniqueorderid, tag): an order lives one session


def client_for(broker_account: BrokerAccount) -> SmartApiClient:
    """One client (and so one in-memory session) per account and process."""
    with _clients_lock:
        client = _clients.get(broker_account.pk)
        if client is None:
            client = _clients[broker_account.pk] = SmartApiClient(broker_account)
        return client


def forget_clients() -> None:
    with _clients_lock:
        _clients.clear()


@contextmanager
def translated(*, write: bool) -> Iterator[None]:
    try:
        yield
    except AngelError as exc:
        raise as_broker_error(exc, write=write) from exc


class AngelOneBroker(Broker):
    name = "angelone"

    def __init__(self, account: TradingAccount) -> None:
        broker_account = BrokerAccount.objects.filter(account_id=account.pk, broker=self.name).first()
        if broker_account is None or not broker_account.has_credentials:
            raise BrokerRejected(
                "This account has no Angel One credentials; connect it first.", code="broker_not_connected"
            )
        self.account = account
        self.client = client_for(broker_account)

    # --- orders --------------------------------------------------------------------------

    def place_order(self, request: PlaceOrderRequest) -> BrokerOrder:
        with translated(write=True):
            data = self.client.request(ep.PLACE, place_body(request))
            order_id, unique_id = _ids(data)
        self._remember(order_id, unique_id, request.tag)
        accepted = BrokerOrder(
            broker_order_id=order_id,
            tag=request.tag,
            status=BrokerStatus.OPEN,
            quantity=request.quantity,
            price=request.price,
            trigger_price=request.trigger_price,
            order_type=request.order_type,
            message="Accepted by Angel One",
        )
        return replace(self._state_after_write(order_id, accepted), algo_id=settings.BROKER_ALGO_ID)

    def modify_order(self, broker_order_id: str, request: ModifyOrderRequest) -> BrokerOrder:
        with translated(write=False):
            row = self._row(broker_order_id)
        body = {
            "variety": row.get("variety") or "NORMAL",
            "orderid": broker_order_id,
            "ordertype": ORDER_TYPES[request.order_type],
            "producttype": row.get("producttype"),
            "duration": row.get("duration") or "DAY",
            "price": "0" if request.price is None else format(request.price, "f"),
            "triggerprice": "0" if request.trigger_price is None else format(request.trigger_price, "f"),
            "quantity": str(request.quantity),
            "tradingsymbol": row.get("tradingsymbol"),
            "symboltoken": row.get("symboltoken"),
            "exchange": row.get("exchange"),
        }
        with translated(write=True):
            self.client.request(ep.MODIFY, body)
        before = order_from_row(row)
        return replace(self._state_after_write(broker_order_id, before), algo_id=settings.BROKER_ALGO_ID)

    def cancel_order(self, broker_order_id: str) -> BrokerOrder:
        with translated(write=False):
            row = self._row(broker_order_id)
        before = order_from_row(row)
        if status_of(row) == BrokerStatus.CANCELLED:
            return before  # cancelling twice is harmless
        with translated(write=True):
            self.client.request(ep.CANCEL, {"variety": row.get("variety") or "NORMAL", "orderid": broker_order_id})
        return self._state_after_write(broker_order_id, before)

    def _state_after_write(self, order_id: str, fallback: BrokerOrder) -> BrokerOrder:
        """The order as the broker has it now; if that read fails, what we know (the write stands)."""
        try:
            with translated(write=False):
                return order_from_row(self._row(order_id))
        except Exception as exc:  # the write succeeded; its outcome arrives by stream or reconciliation
            logger.info("angelone: could not read order %s after a write: %s", order_id, exc)
            return fallback

    # --- order book ----------------------------------------------------------------------

    def order_book(self) -> list[BrokerOrder]:
        with translated(write=False):
            return [order_from_row(row) for row in self._book_rows()]

    def order_status(self, broker_order_id: str) -> BrokerOrder:
        with translated(write=False):
            return order_from_row(self._row(broker_order_id))

    def find_order_by_tag(self, tag: str) -> BrokerOrder | None:
        return self.orders_by_tag().get(tag)

    def orders_by_tag(self) -> dict[str, BrokerOrder]:
        found: dict[str, BrokerOrder] = {}
        for order in self.order_book():
            # A tag seen twice (should not happen) answers with the order that got furthest.
            if order.tag and (order.tag not in found or order.status != BrokerStatus.REJECTED):
                found[order.tag] = order
        return found

    def trades(self, broker_order_id: str | None = None) -> list[BrokerTrade]:
        with translated(write=False):
            rows = _rows(self.client.request(ep.TRADE_BOOK))
            if broker_order_id:
                rows = [r for r in rows if str(r.get("orderid")) == broker_order_id]
            tags = {str(r.get("orderid")): self._tag_of(str(r.get("orderid"))) for r in rows}
            if any(tag is None for tag in tags.values()):
                self._book_rows()  # learn the tags of orders we have not seen
                tags = {oid: self._tag_of(oid) or "" for oid in tags}
            day = today_ist()
            return [trade_from_row(r, tags[str(r.get("orderid"))], day) for r in rows]

    def _row(self, order_id: str) -> dict:
        memo = cache.get(self._memo_key(order_id))
        if memo and memo[0]:
            data = self.client.request(ep.DETAILS, suffix=memo[0])
            if isinstance(data, dict) and str(data.get("orderid")) == order_id:
                return data
        for row in self._book_rows():
            if str(row.get("orderid")) == order_id:
                return row
        raise InputError(f"Order {order_id} not found at Angel One.", code="order_not_found")

    def _book_rows(self) -> list[dict]:
        rows = _rows(self.client.request(ep.ORDER_BOOK))
        memo = {
            self._memo_key(str(r.get("orderid"))): (str(r.get("uniqueorderid") or ""), str(r.get("ordertag") or ""))
            for r in rows
            if r.get("orderid")
        }
        if memo:
            cache.set_many(memo, ORDER_MEMO_SECONDS)
        return rows

    def _memo_key(self, order_id: str) -> str:
        return f"angelone:order:{self.client.account.pk}:{order_id}"

    def _remember(self, order_id: str, unique_id: str, tag: str) -> None:
        cache.set(self._memo_key(order_id), (unique_id, tag), ORDER_MEMO_SECONDS)

    def _tag_of(self, order_id: str) -> str | None:
        memo = cache.get(self._memo_key(order_id))
        return memo[1] if memo else None

    # --- portfolio and money -------------------------------------------------------------

    def positions(self) -> list[BrokerPosition]:
        with translated(write=False):
            rows = _rows(self.client.request(ep.POSITIONS))
        return [p for p in map(position_from_row, rows) if p.net_quantity]

    def holdings(self) -> list[BrokerPosition]:
        with translated(write=False):
            data = self.client.request(ep.HOLDINGS)
        rows = data.get("holdings") if isinstance(data, dict) else data
        return [h for h in map(holding_from_row, _rows(rows)) if h.net_quantity]

    def funds(self) -> BrokerFunds:
        with translated(write=False):
            data = self.client.request(ep.RMS) or {}
        return BrokerFunds(
            available=dec(data.get("net")) if data.get("net") is not None else dec(data.get("availablecash")),
            used_margin=dec(data.get("utiliseddebits")),
            notes="From Angel One's RMS limits.",
        )

    def profile(self) -> dict:
        with translated(write=False):
            return self.client.request(ep.PROFILE) or {}

    # --- market data ---------------------------------------------------------------------

    def quotes(self, keys: list[tuple[str, str]]) -> list[BrokerQuote]:
        with translated(write=False):
            return market.quotes(self.client, keys)

    def candles(self, exchange: str, symbol: str, interval: str, start: datetime, end: datetime) -> list[dict]:
        with translated(write=False):
            return market.candles(self.client, exchange, symbol, interval, start, end)


def _rows(data) -> list[dict]:
    return [row for row in data if isinstance(row, dict)] if isinstance(data, list) else []


def _ids(data) -> tuple[str, str]:
    order_id = str(data.get("orderid") or "").strip() if isinstance(data, dict) else ""
    if not order_id:
        # "Success" without an order id: we cannot tell what the broker did.
        raise BrokerInternal("Angel One accepted the order but sent no order id.", maybe_sent=True)
    return order_id, str(data.get("uniqueorderid") or "")
