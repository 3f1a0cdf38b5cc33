"""Angel One's order-update WebSocket -> brokers.base.order_updates (the path fills take).

Each message carries the order-book row of one order; fills are fetched from
the trade book when it reports any. Missed messages are harmless: polling and
reconciliation still read the order book.
"""

import json
import logging
import random
import threading
import time
from dataclasses import replace

from django.conf import settings
from django.db import close_old_connections, connection
from websockets.sync.client import connect

from ..base import BrokerError, OrderUpdate, order_updates
from ..models import BrokerAccount
from .adapter import AngelOneBroker
from .mapping import order_from_row

logger = logging.getLogger(__name__)


def update_from_message(message: dict, account_id: int) -> OrderUpdate | None:
    """An order update for the bus, or None for messages that are not about an order (AB00 connected)."""
    row = message.get("orderData")
    if not isinstance(row, dict) or not row.get("orderid") or message.get("status-code") == "AB00":
        return None
    order = order_from_row(row)
    if not order.message and message.get("error-message"):
        order = replace(order, message=str(message["error-message"])[:200])
    return OrderUpdate(account_id=account_id, order=order)


class OrderUpdateStream(threading.Thread):
    def __init__(self, broker_account: BrokerAccount, *, url: str | None = None, publish=None) -> None:
        super().__init__(name=f"angelone-orders-{broker_account.pk}", daemon=True)
        self.broker_account = broker_account
        self.url = url or settings.ANGELONE_ORDER_WS_URL
        self.publish = publish or order_updates.publish
        self.stopping = threading.Event()
        self.connects = 0
        self.received = 0

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        backoff = 0.5
        while not self.stopping.is_set():
            try:
                broker = AngelOneBroker(self.broker_account.account)
                session = broker.client.sessions.current()
                headers = {"Authorization": f"Bearer {session.jwt}"}
                with connect(self.url, additional_headers=headers, open_timeout=5, ping_interval=None) as ws:
                    self.connects += 1
                    backoff = 0.5
                    self._serve(ws, broker)
            except Exception as exc:
                if self.stopping.is_set():
                    break
                delay = random.uniform(backoff / 2, backoff)  # noqa: S311 - reconnect jitter, not a secret
                logger.warning("angelone order stream lost (%s); again in %.1f s", exc, delay)
                self.stopping.wait(delay)
                backoff = min(backoff * 2, 30.0)
            finally:
                close_old_connections()
        connection.close()

    def _serve(self, ws, broker: AngelOneBroker) -> None:
        next_ping = time.monotonic() + settings.ANGELONE_WS_PING_SECONDS
        while not self.stopping.is_set():
            if time.monotonic() >= next_ping:
                ws.send("ping")
                next_ping = time.monotonic() + settings.ANGELONE_WS_PING_SECONDS
            try:
                raw = ws.recv(timeout=0.2)
            except TimeoutError:
                continue
            if not isinstance(raw, str) or raw == "pong":
                continue
            try:
                message = json.loads(raw)
            except ValueError:
                logger.warning("angelone order stream: unreadable message dropped")
                continue
            update = update_from_message(message, self.broker_account.account_id)
            if update is not None:
                self.received += 1
                self.publish(_with_trades(update, broker))


def _with_trades(update: OrderUpdate, broker: AngelOneBroker) -> OrderUpdate:
    if not update.order.filled_quantity:
        return update
    try:
        trades = tuple(broker.trades(update.order.broker_order_id))
    except BrokerError as exc:  # reconciliation fetches them later
        logger.info("angelone order stream: no trades for %s yet: %s", update.order.broker_order_id, exc)
        return update
    return OrderUpdate(account_id=update.account_id, order=update.order, trades=trades)
