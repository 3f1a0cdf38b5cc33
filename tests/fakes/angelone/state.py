"""What the fake Angel One knows: accounts, sessions, the order book, trades, faults, counters."""

import itertools
import secrets
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

IST = timezone(timedelta(hours=5, minutes=30))

# A known test login: the TOTP secret is what the authenticator app would hold.
TEST_CLIENT = {
    "client_code": "A123456",
    "pin": "4321",
    "totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    "api_key": "fake-api-key-1",
}

INSTRUMENTS = [
    # exchange, token, symbol, name, instrument type, lot, tick (paise), price
    ("NSE", "3045", "SBIN-EQ", "SBIN", "", 1, "5.000000", "800.00"),
    ("NSE", "1594", "INFY-EQ", "INFY", "", 1, "5.000000", "1500.00"),
    ("NSE", "2885", "RELIANCE-EQ", "RELIANCE", "", 1, "10.000000", "2900.00"),
    ("NSE", "99926000", "Nifty 50", "NIFTY", "AMXIDX", 1, "5.000000", "26000.00"),
    ("NFO", "35001", "NIFTY29DEC26FUT", "NIFTY", "FUTIDX", 75, "10.000000", "26050.00"),
    ("BSE", "500112", "SBIN", "SBIN", "", 1, "5.000000", "800.10"),
    ("CDS", "1", "USDINR26DECFUT", "USDINR", "FUTCUR", 1000, "0.250000", "84.1225"),
]


@dataclass
class Faults:
    error_rate: float = 0.0  # share of REST calls answered with an HTTP 500 HTML page
    slow_rate: float = 0.0  # share of REST calls answered after `slow_seconds` (writes are booked first)
    slow_seconds: float = 0.0
    rate_limit_rate: float = 0.0  # share answered with the plain-text 403
    reset_next: int = 0  # next N REST calls: connection closed before anything is done
    lose_next_place: int = 0  # next N placeOrders: booked, then the connection closes without an answer
    late_reject_next: int = 0  # next N accepted orders are rejected `late_reject_after` seconds later
    late_reject_after: float = 0.2
    late_reject_text: str = "RMS:Margin Exceeds,Required:1000.00, Available:0.00"
    fill_limit_orders: bool = False  # marketable LIMIT orders fill on arrival (off: they rest)


@dataclass
class Account:
    client_code: str
    pin: str
    totp_secret: str
    api_key: str


@dataclass
class FakeState:
    accounts: dict[str, Account] = field(default_factory=dict)
    jwts: dict[str, str] = field(default_factory=dict)  # token -> client code
    refresh_tokens: dict[str, str] = field(default_factory=dict)
    feed_tokens: dict[str, str] = field(default_factory=dict)
    orders: dict[str, dict] = field(default_factory=dict)  # orderid -> order-book row
    trades: list[dict] = field(default_factory=list)
    prices: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    order_requests: Counter = field(default_factory=Counter)  # epoch second -> place+modify+cancel received
    requests: Counter = field(default_factory=Counter)  # route -> count
    request_ids: deque = field(default_factory=lambda: deque(maxlen=200))  # (route, X-Request-ID or None), latest
    logins: int = 0
    quote_max_tokens: int = 0
    candle_windows: list[tuple[str, str, str]] = field(default_factory=list)
    pings: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(250_000_000_000_001))

    def __post_init__(self) -> None:
        self.add_account(**TEST_CLIENT)
        for exchange, token, *_rest, price in INSTRUMENTS:
            self.prices[(exchange, token)] = Decimal(price)

    def add_account(self, *, client_code: str, pin: str, totp_secret: str, api_key: str) -> None:
        self.accounts[client_code] = Account(client_code, pin, totp_secret, api_key)

    def reset(self) -> None:
        """Everything but the accounts and prices back to the start (between tests)."""
        self.jwts.clear(), self.refresh_tokens.clear(), self.feed_tokens.clear()
        self.orders.clear(), self.trades.clear(), self.order_requests.clear(), self.requests.clear()
        self.request_ids.clear()
        self.candle_windows.clear()
        self.faults = Faults()
        self.logins = self.quote_max_tokens = self.pings = 0
        self.accounts = {}
        self.add_account(**TEST_CLIENT)

    # --- sessions ------------------------------------------------------------------------

    def new_session(self, client_code: str) -> dict[str, str]:
        jwt, refresh, feed = (secrets.token_urlsafe(24) for _ in range(3))
        self.jwts[jwt], self.refresh_tokens[refresh], self.feed_tokens[feed] = client_code, client_code, client_code
        self.logins += 1
        return {"jwtToken": jwt, "refreshToken": refresh, "feedToken": feed, "state": "live"}

    def expire_sessions(self) -> None:
        self.jwts.clear()

    # --- orders --------------------------------------------------------------------------

    def instrument(self, exchange: str, token: str) -> tuple | None:
        return next((i for i in INSTRUMENTS if i[0] == exchange and i[1] == token), None)

    def book(self, client_code: str, body: dict) -> dict:
        order_id = str(next(self._ids))
        row = {
            "variety": body["variety"],
            "ordertype": body["ordertype"],
            "producttype": body["producttype"],
            "duration": body.get("duration", "DAY"),
            "price": _s(body.get("price", "0")),
            "triggerprice": _s(body.get("triggerprice", "0")),
            "quantity": str(int(body["quantity"])),
            "disclosedquantity": "0",
            "squareoff": "0.0",
            "stoploss": "0.0",
            "trailingstoploss": "0.0",
            "tradingsymbol": body["tradingsymbol"],
            "transactiontype": body["transactiontype"],
            "exchange": body["exchange"],
            "symboltoken": body["symboltoken"],
            "ordertag": body.get("ordertag", ""),
            "instrumenttype": "",
            "strikeprice": "-1",
            "optiontype": "",
            "expirydate": "",
            "lotsize": "1",
            "cancelsize": "0",
            "averageprice": "0",
            "filledshares": "0",
            "unfilledshares": str(int(body["quantity"])),
            "orderid": order_id,
            "uniqueorderid": secrets.token_hex(16),
            "parentorderid": "",
            "text": "",
            "status": "open pending",
            "orderstatus": "open pending",
            "updatetime": _now_text(),
            "exchtime": "",
            "exchorderupdatetime": "",
            "fillid": "",
            "filltime": "",
            "clientcode": client_code,
        }
        self.orders[order_id] = row
        return row

    def set_status(self, row: dict, status: str, text: str = "") -> None:
        row["status"] = row["orderstatus"] = status
        row["text"] = text
        row["updatetime"] = _now_text()

    def fill(self, row: dict, price: Decimal | None = None, quantity: int | None = None) -> dict:
        price = price or self.prices[(row["exchange"], row["symboltoken"])]
        remaining = int(row["unfilledshares"])
        quantity = min(quantity or remaining, remaining)
        filled = int(row["filledshares"]) + quantity
        old_avg = Decimal(row["averageprice"])
        average = (old_avg * int(row["filledshares"]) + price * quantity) / filled
        row["filledshares"], row["unfilledshares"] = str(filled), str(remaining - quantity)
        row["averageprice"] = f"{average:.2f}"
        trade = {
            "exchange": row["exchange"],
            "producttype": row["producttype"],
            "tradingsymbol": row["tradingsymbol"],
            "instrumenttype": "",
            "symbolgroup": "EQ",
            "strikeprice": "-1",
            "optiontype": "",
            "expirydate": "",
            "marketlot": "1",
            "precision": "2",
            "multiplier": "-1",
            "tradevalue": f"{price * quantity:.2f}",
            "transactiontype": row["transactiontype"],
            "fillprice": f"{price:.2f}",
            "fillsize": str(quantity),
            "orderid": row["orderid"],
            "fillid": str(len(self.trades) + 50_000_001),
            "filltime": datetime.now(IST).strftime("%H:%M:%S"),
            "clientcode": row["clientcode"],
        }
        self.trades.append(trade)
        self.set_status(row, "complete" if remaining == quantity else "open")
        return trade

    def positions(self, client_code: str) -> list[dict]:
        net: dict[tuple, dict] = {}
        for t in (t for t in self.trades if t["clientcode"] == client_code):
            key = (t["exchange"], t["tradingsymbol"], t["producttype"])
            p = net.setdefault(key, {"buy": 0, "sell": 0, "buyv": Decimal(0), "sellv": Decimal(0), "trade": t})
            side = "buy" if t["transactiontype"] == "BUY" else "sell"
            p[side] += int(t["fillsize"])
            p[side + "v"] += Decimal(t["tradevalue"])
        return [_position(key, p, self.orders) for key, p in net.items()]

    # --- counters ------------------------------------------------------------------------

    def count_order_request(self) -> None:
        self.order_requests[int(time.time())] += 1

    def stats(self) -> dict:
        return {
            "order_requests_per_second": {str(k): v for k, v in sorted(self.order_requests.items())},
            "max_order_requests_per_second": max(self.order_requests.values(), default=0),
            "order_requests": sum(self.order_requests.values()),
            "requests": dict(self.requests),
            "logins": self.logins,
            "quote_max_tokens": self.quote_max_tokens,
            "candle_windows": self.candle_windows,
            "orders": len(self.orders),
            "pings": self.pings,
            "faults": asdict(self.faults),
        }


def _s(value) -> str:
    return str(value)


def _now_text() -> str:
    return datetime.now(IST).strftime("%d-%b-%Y %H:%M:%S")


def _position(key: tuple, p: dict, orders: dict) -> dict:
    exchange, symbol, product = key
    t = p["trade"]
    token = next((o["symboltoken"] for o in orders.values() if o["orderid"] == t["orderid"]), "")
    buy_avg = p["buyv"] / p["buy"] if p["buy"] else Decimal(0)
    sell_avg = p["sellv"] / p["sell"] if p["sell"] else Decimal(0)
    netqty = p["buy"] - p["sell"]
    avg = buy_avg if netqty > 0 else sell_avg if netqty < 0 else Decimal(0)
    return {
        "exchange": exchange,
        "symboltoken": token,
        "producttype": product,
        "tradingsymbol": symbol,
        "symbolname": symbol.split("-")[0],
        "instrumenttype": "",
        "priceden": "1.00",
        "pricenum": "1.00",
        "genden": "1.00",
        "gennum": "1.00",
        "precision": "2",
        "multiplier": "-1",
        "boardlotsize": "1",
        "buyqty": str(p["buy"]),
        "sellqty": str(p["sell"]),
        "buyamount": f"{p['buyv']:.2f}",
        "sellamount": f"{p['sellv']:.2f}",
        "symbolgroup": "EQ",
        "strikeprice": "-1",
        "optiontype": "",
        "expirydate": "",
        "lotsize": "1",
        "cfbuyqty": "0",
        "cfsellqty": "0",
        "cfbuyamount": "0.00",
        "cfsellamount": "0.00",
        "buyavgprice": f"{buy_avg:.2f}",
        "sellavgprice": f"{sell_avg:.2f}",
        "avgnetprice": f"{avg:.2f}",
        "netvalue": f"{p['sellv'] - p['buyv']:.2f}",
        "netqty": str(netqty),
        "totalbuyvalue": f"{p['buyv']:.2f}",
        "totalsellvalue": f"{p['sellv']:.2f}",
        "cfbuyavgprice": "0.00",
        "cfsellavgprice": "0.00",
        "totalbuyavgprice": f"{buy_avg:.2f}",
        "totalsellavgprice": f"{sell_avg:.2f}",
        "netprice": f"{avg:.2f}",
    }
