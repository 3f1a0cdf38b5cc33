"""Between the platform's broker vocabulary (brokers.base) and SmartAPI's fields."""

import logging
from datetime import date, datetime, time
from decimal import Decimal

from core.clock import IST

from ..base import BrokerOrder, BrokerPosition, BrokerStatus, BrokerTrade, OrderType, PlaceOrderRequest, Product, Side
from .envelope import dec, integer

logger = logging.getLogger(__name__)

PRODUCTS = {Product.CNC: "DELIVERY", Product.NRML: "CARRYFORWARD", Product.MIS: "INTRADAY"}
PRODUCTS_BACK = {
    "DELIVERY": Product.CNC,
    "CARRYFORWARD": Product.NRML,
    "MARGIN": Product.NRML,
    "INTRADAY": Product.MIS,
    "BO": Product.MIS,
}
ORDER_TYPES = {
    OrderType.MARKET: "MARKET",
    OrderType.LIMIT: "LIMIT",
    OrderType.SL: "STOPLOSS_LIMIT",
    OrderType.SL_M: "STOPLOSS_MARKET",
}
ORDER_TYPES_BACK = {v: k for k, v in ORDER_TYPES.items()}
STATUSES = {
    "open": BrokerStatus.OPEN,
    "open pending": BrokerStatus.OPEN,
    "modify pending": BrokerStatus.OPEN,
    "modified": BrokerStatus.OPEN,
    "validation pending": BrokerStatus.OPEN,
    "modify validation pending": BrokerStatus.OPEN,
    "put order req received": BrokerStatus.OPEN,
    "after market order req received": BrokerStatus.OPEN,
    "cancel pending": BrokerStatus.OPEN,
    "trigger pending": BrokerStatus.TRIGGER_PENDING,
    "complete": BrokerStatus.COMPLETE,
    "rejected": BrokerStatus.REJECTED,
    "cancelled": BrokerStatus.CANCELLED,
}


def variety_for(order_type: OrderType) -> str:
    return "STOPLOSS" if order_type in (OrderType.SL, OrderType.SL_M) else "NORMAL"


def _price(value: Decimal | None) -> str:
    return "0" if value is None else format(value, "f")


def place_body(request: PlaceOrderRequest) -> dict[str, str]:
    return {
        "variety": variety_for(request.order_type),
        "tradingsymbol": request.symbol,
        "symboltoken": request.token,
        "transactiontype": request.side.value,
        "exchange": request.exchange,
        "ordertype": ORDER_TYPES[request.order_type],
        "producttype": PRODUCTS[request.product],
        "duration": request.validity.value,
        "price": _price(request.price),
        "triggerprice": _price(request.trigger_price),
        "squareoff": "0",
        "stoploss": "0",
        "quantity": str(request.quantity),
        "disclosedquantity": "0",
        "ordertag": request.tag,
    }


def status_of(row: dict) -> BrokerStatus:
    text = str(row.get("status") or row.get("orderstatus") or "").strip().lower()
    status = STATUSES.get(text)
    if status is None:
        logger.warning("unknown Angel One order status %r: treated as open", text)
        return BrokerStatus.OPEN
    return status


def parse_update_time(text: str | None) -> datetime | None:
    for fmt in ("%d-%b-%Y %H:%M:%S", "%d-%m-%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(str(text).strip(), fmt).replace(tzinfo=IST)
        except (TypeError, ValueError):
            continue
    return None


def order_from_row(row: dict) -> BrokerOrder:
    filled = integer(row.get("filledshares"))
    average = dec(row.get("averageprice"))
    return BrokerOrder(
        broker_order_id=str(row.get("orderid") or ""),
        tag=str(row.get("ordertag") or ""),
        status=status_of(row),
        quantity=integer(row.get("quantity")),
        filled_quantity=filled,
        average_price=average if filled and average else None,
        price=dec(row.get("price")) or None,
        trigger_price=dec(row.get("triggerprice")) or None,
        order_type=ORDER_TYPES_BACK.get(str(row.get("ordertype") or "").upper()),
        message=str(row.get("text") or "")[:200],
        updated_at=parse_update_time(row.get("updatetime") or row.get("exchtime")),
        exchange=str(row.get("exchange") or ""),
        symbol=str(row.get("tradingsymbol") or ""),
        side=str(row.get("transactiontype") or "").upper(),
        product=PRODUCTS_BACK.get(str(row.get("producttype") or "").upper(), ""),
    )


def trade_from_row(row: dict, tag: str, day: date) -> BrokerTrade:
    return BrokerTrade(
        trade_id=str(row.get("fillid") or ""),
        broker_order_id=str(row.get("orderid") or ""),
        tag=tag,
        side=Side(str(row.get("transactiontype") or "BUY").upper()),
        quantity=integer(row.get("fillsize")),
        price=dec(row.get("fillprice")) or Decimal(0),
        executed_at=_fill_time(row.get("filltime"), day),
    )


def _fill_time(text, day: date) -> datetime:
    parsed = parse_update_time(text)
    if parsed:
        return parsed
    try:
        return datetime.combine(day, time.fromisoformat(str(text).strip()), tzinfo=IST)
    except (TypeError, ValueError):
        return datetime.combine(day, time(0), tzinfo=IST)


def position_from_row(row: dict) -> BrokerPosition:
    net = integer(row.get("netqty"))
    average = dec(row.get("avgnetprice")) or dec(row.get("buyavgprice" if net >= 0 else "sellavgprice"))
    return BrokerPosition(
        exchange=str(row.get("exchange") or ""),
        symbol=str(row.get("tradingsymbol") or ""),
        product=PRODUCTS_BACK.get(str(row.get("producttype") or "").upper(), Product.MIS),
        net_quantity=net,
        average_price=average or Decimal(0),
    )


def holding_from_row(row: dict) -> BrokerPosition:
    return BrokerPosition(
        exchange=str(row.get("exchange") or ""),
        symbol=str(row.get("tradingsymbol") or ""),
        product=Product.CNC,
        net_quantity=integer(row.get("quantity")) + integer(row.get("t1quantity")),
        average_price=dec(row.get("averageprice")) or Decimal(0),
    )
