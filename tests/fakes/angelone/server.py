"""The fake Angel One: SmartAPI's REST routes, its two WebSockets, faults on demand, an admin API.

aiohttp serves HTTP and WebSocket from one asyncio app (and one port), which is
what a fake that must push order updates and ticks while answering REST calls
needs; it is the most used asyncio HTTP server and is well maintained.
"""

import asyncio
import json
import random
from decimal import Decimal

import pyotp
from aiohttp import web

from .envelopes import fail, ok, token_error
from .market import MarketRoutes
from .scripmaster import scrip_master
from .state import FakeState
from .ticks import EXCHANGE_TYPE, encode

REST = "/rest/"
ORDER = "/rest/secure/angelbroking/order/v1/"
WS_CODES = {
    "open": "AB01",
    "cancelled": "AB02",
    "rejected": "AB03",
    "modified": "AB04",
    "complete": "AB05",
    "open pending": "AB09",
    "trigger pending": "AB10",
    "modify pending": "AB11",
}
RATE_LIMIT_BODY = "Access denied because of exceeding access rate"


class ConnectionDropped(Exception):
    """Raised after closing the client's connection on purpose: no answer will be sent."""


def drop(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise ConnectionDropped()


class FakeAngelOne(MarketRoutes):
    def __init__(self, state: FakeState | None = None) -> None:
        self.state = state or FakeState()
        self.feed_sockets: list[tuple[web.WebSocketResponse, str, dict]] = []
        self.order_sockets: list[tuple[web.WebSocketResponse, str]] = []
        self._pending: set[asyncio.Future] = set()
        self.app = web.Application(middlewares=[self.faults_middleware])
        self._routes()

    # --- plumbing ------------------------------------------------------------------------

    def _routes(self) -> None:
        r = self.app.router
        a = "/rest/auth/angelbroking/"
        u = "/rest/secure/angelbroking/user/v1/"
        r.add_post(a + "user/v1/loginByPassword", self.login)
        r.add_post(a + "jwt/v1/generateTokens", self.generate_tokens)
        r.add_get(u + "getProfile", self.secure(self.profile))
        r.add_get(u + "getRMS", self.secure(self.rms))
        r.add_post(u + "logout", self.secure(self.logout))
        r.add_post(ORDER + "placeOrder", self.order_route(self.place))
        r.add_post(ORDER + "modifyOrder", self.order_route(self.modify))
        r.add_post(ORDER + "cancelOrder", self.order_route(self.cancel))
        r.add_get(ORDER + "getOrderBook", self.secure(self.order_book))
        r.add_get(ORDER + "getTradeBook", self.secure(self.trade_book))
        r.add_get(ORDER + "getPosition", self.secure(self.positions))
        r.add_get(ORDER + "details/{uid}", self.secure(self.details))
        r.add_post(ORDER + "getLtpData", self.secure(self.ltp))
        r.add_post(ORDER + "searchScrip", self.secure(self.search))
        r.add_get("/rest/secure/angelbroking/portfolio/v1/getHolding", self.secure(self.holdings))
        r.add_post("/rest/secure/angelbroking/market/v1/quote", self.secure(self.quote))
        r.add_post("/rest/secure/angelbroking/historical/v1/getCandleData", self.secure(self.candles))
        r.add_get("/smart-stream", self.feed_ws)
        r.add_get("/smart-order-update", self.order_ws)
        r.add_get("/OpenAPI_File/files/OpenAPIScripMaster.json", self.scrip_master)
        from .admin import add_admin_routes

        add_admin_routes(self)

    @web.middleware
    async def faults_middleware(self, request: web.Request, handler):
        if not request.path.startswith(REST):
            return await handler(request)
        s, f = self.state, self.state.faults
        route = request.path.rsplit("/", 1)[-1] if "details/" not in request.path else "details"
        s.requests[route] += 1
        s.request_ids.append((route, request.headers.get("X-Request-ID")))
        if request.path.startswith(ORDER) and request.path.endswith(("placeOrder", "modifyOrder", "cancelOrder")):
            s.count_order_request()
        try:
            if f.reset_next > 0:
                f.reset_next -= 1
                drop(request)
            if f.rate_limit_rate and random.random() < f.rate_limit_rate:
                return web.Response(status=403, text=RATE_LIMIT_BODY, content_type="text/plain")
            if f.error_rate and random.random() < f.error_rate:
                return web.Response(
                    status=500,
                    text="<html><body><h1>500 Internal Server Error</h1></body></html>",
                    content_type="text/html",
                )
            response = await handler(request)
            if f.slow_rate and random.random() < f.slow_rate:
                await asyncio.sleep(f.slow_seconds)
            return response
        except ConnectionDropped:
            return web.Response(status=500)  # never reaches the client: the connection is gone

    def secure(self, handler):
        async def checked(request: web.Request):
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                return token_error("AG8003", "Token missing")
            client = self.state.jwts.get(header.removeprefix("Bearer ").strip())
            if client is None:
                return token_error("AG8001", "Invalid Token")
            if request.headers.get("X-PrivateKey") != self.state.accounts[client].api_key:
                return token_error("AG8001", "Invalid API Key")
            return await handler(request, client)

        return checked

    def order_route(self, handler):
        async def parsed(request: web.Request, client: str):
            try:
                body = await request.json()
            except ValueError:
                return fail("AB2000", "Invalid request body", strings=True)
            return await handler(request, client, body)

        return self.secure(parsed)

    async def scrip_master(self, request: web.Request) -> web.Response:
        return web.Response(body=scrip_master(), content_type="application/json")

    # --- auth ----------------------------------------------------------------------------

    async def login(self, request: web.Request) -> web.Response:
        body = await request.json()
        account = self.state.accounts.get(str(body.get("clientcode")))
        if account is None or request.headers.get("X-PrivateKey") != account.api_key:
            return fail("AB1000", "Invalid clientcode or API key")
        if str(body.get("password")) != account.pin:
            return fail("AB1000", "Invalid clientcode or password")
        if not pyotp.TOTP(account.totp_secret).verify(str(body.get("totp")), valid_window=1):
            return fail("AB1050", "Invalid totp")
        return ok(self.state.new_session(account.client_code))

    async def generate_tokens(self, request: web.Request) -> web.Response:
        body = await request.json()
        client = self.state.refresh_tokens.pop(str(body.get("refreshToken")), None)
        if client is None:
            return fail("AB8050", "Invalid refresh token")
        return ok(self.state.new_session(client))

    async def logout(self, request, client) -> web.Response:
        for token, owner in list(self.state.jwts.items()):
            if owner == client:
                del self.state.jwts[token]
        return ok("")

    async def profile(self, request, client) -> web.Response:
        return ok(
            {
                "clientcode": client,
                "name": "FAKE TRADER",
                "email": "",
                "mobileno": "",
                "exchanges": ["NSE", "BSE", "NFO", "CDS"],
                "products": ["MARGIN", "MIS", "NRML", "CNC"],
                "lastlogintime": "",
                "brokerid": "B2C",
            }
        )

    async def rms(self, request, client) -> web.Response:
        used = sum(Decimal(t["tradevalue"]) for t in self.state.trades if t["clientcode"] == client)
        return ok(
            {
                "net": f"{Decimal('1000000') - used:.2f}",
                "availablecash": "1000000.00",
                "availableintradaypayin": "0.00",
                "availablelimitmargin": "0.00",
                "collateral": "0.00",
                "m2munrealized": "0.00",
                "m2mrealized": "0.00",
                "utiliseddebits": f"{used:.2f}",
                "utilisedspan": None,
                "utilisedoptionpremium": None,
                "utilisedholdingsales": None,
            }
        )

    # --- orders --------------------------------------------------------------------------

    def _check_order(self, body: dict) -> web.Response | None:
        if body.get("variety") not in ("NORMAL", "STOPLOSS", "AMO", "ROBO"):
            return fail("AB1008", "Invalid Variety", strings=True)
        if body.get("producttype") not in ("DELIVERY", "CARRYFORWARD", "MARGIN", "INTRADAY", "BO"):
            return fail("AB1012", "Invalid Product Type", strings=True)
        if self.state.instrument(str(body.get("exchange")), str(body.get("symboltoken"))) is None:
            return fail("AB1009", "Symbol not found", strings=True)
        if len(str(body.get("ordertag", ""))) > 20:
            return fail("AB4008", "ordertag length should be less than 20 characters", strings=True)
        return None

    async def place(self, request, client, body) -> web.Response:
        refused = self._check_order(body)
        if refused is not None:
            return refused
        s, f = self.state, self.state.faults
        row = s.book(client, body)
        self.publish_order(row)
        if f.late_reject_next > 0:
            f.late_reject_next -= 1
            s.set_status(row, "open")
            asyncio.get_running_loop().call_later(f.late_reject_after, self.reject, row["orderid"], f.late_reject_text)
        elif body["ordertype"] == "MARKET":
            s.fill(row)
        elif body["ordertype"].startswith("STOPLOSS"):
            s.set_status(row, "trigger pending")
        elif f.fill_limit_orders and self._marketable(row):
            s.fill(row, Decimal(row["price"]))
        else:
            s.set_status(row, "open")
        self.publish_order(row)
        if f.lose_next_place > 0:
            f.lose_next_place -= 1
            drop(request)
        return ok({"script": row["tradingsymbol"], "orderid": row["orderid"], "uniqueorderid": row["uniqueorderid"]})

    def _marketable(self, row: dict) -> bool:
        price, ltp = Decimal(row["price"]), self.state.prices[(row["exchange"], row["symboltoken"])]
        return price >= ltp if row["transactiontype"] == "BUY" else price <= ltp

    def reject(self, order_id: str, text: str) -> None:
        row = self.state.orders.get(order_id)
        if row and row["status"] in ("open", "open pending", "trigger pending"):
            self.state.set_status(row, "rejected", text)
            self.publish_order(row)

    def _own_order(self, client: str, order_id: str) -> dict | None:
        row = self.state.orders.get(str(order_id))
        return row if row and row["clientcode"] == client else None

    async def modify(self, request, client, body) -> web.Response:
        row = self._own_order(client, body.get("orderid"))
        if row is None:
            return fail("AB1013", "Order not found", strings=True)
        if row["status"] not in ("open", "trigger pending"):
            return fail("AB4000", f"Order is {row['status']}: cannot modify", strings=True)
        for field in ("ordertype", "price", "triggerprice"):
            if field in body:
                row[field] = str(body[field])
        quantity = int(body.get("quantity", row["quantity"]))
        row["quantity"], row["unfilledshares"] = str(quantity), str(quantity - int(row["filledshares"]))
        self.state.set_status(row, "trigger pending" if row["ordertype"].startswith("STOPLOSS") else "open")
        self.publish_order(row, status_code="AB04")
        return ok({"orderid": row["orderid"], "uniqueorderid": row["uniqueorderid"]})

    async def cancel(self, request, client, body) -> web.Response:
        row = self._own_order(client, body.get("orderid"))
        if row is None:
            return fail("AB1013", "Order not found", strings=True)
        if row["status"] not in ("open", "trigger pending", "open pending"):
            return fail("AB4000", f"Order is {row['status']}: cannot cancel", strings=True)
        row["cancelsize"] = row["unfilledshares"]
        self.state.set_status(row, "cancelled")
        self.publish_order(row)
        return ok({"orderid": row["orderid"], "uniqueorderid": row["uniqueorderid"]})

    async def order_book(self, request, client) -> web.Response:
        rows = [dict(r) for r in self.state.orders.values() if r["clientcode"] == client]
        return ok(rows or None)

    async def trade_book(self, request, client) -> web.Response:
        rows = [t for t in self.state.trades if t["clientcode"] == client]
        return ok(rows or None)

    async def details(self, request, client) -> web.Response:
        uid = request.match_info["uid"]
        row = next((r for r in self.state.orders.values() if r["uniqueorderid"] == uid), None)
        if row is None or row["clientcode"] != client:
            return fail("AB1013", "Order not found", strings=True)
        return ok(dict(row))

    async def positions(self, request, client) -> web.Response:
        return ok(self.state.positions(client) or None)

    async def holdings(self, request, client) -> web.Response:
        return ok(
            [
                {
                    "tradingsymbol": "INFY-EQ",
                    "exchange": "NSE",
                    "isin": "INE009A01021",
                    "t1quantity": "2",
                    "realisedquantity": "8",
                    "quantity": "8",
                    "authorisedquantity": "0",
                    "product": "DELIVERY",
                    "collateralquantity": None,
                    "collateraltype": None,
                    "haircut": "0.00",
                    "averageprice": "1400.50",
                    "ltp": "1500.00",
                    "symboltoken": "1594",
                    "close": "1490.00",
                    "profitandloss": "999",
                    "pnlpercentage": "7.10",
                }
            ]
        )

    # --- WebSockets ------------------------------------------------------------------------

    async def feed_ws(self, request: web.Request) -> web.StreamResponse:
        from .streams import feed_socket

        return await feed_socket(self, request)

    async def order_ws(self, request: web.Request) -> web.StreamResponse:
        from .streams import order_socket

        return await order_socket(self, request)

    def publish_order(self, row: dict, status_code: str | None = None) -> None:
        message = json.dumps(
            {
                "user-id": row["clientcode"],
                "status-code": status_code or WS_CODES.get(row["status"], "AB01"),
                "order-status": row["status"],
                "error-message": row["text"],
                "orderData": dict(row),
            }
        )
        for ws, client in list(self.order_sockets):
            if client == row["clientcode"] and not ws.closed:
                task = asyncio.ensure_future(ws.send_str(message))
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)

    async def push_tick(self, exchange: str, token: str, ltp: Decimal, **extra) -> int:
        self.state.prices[(exchange, token)] = ltp
        exchange_type = EXCHANGE_TYPE[exchange]
        sent = 0
        for ws, _client, subs in list(self.feed_sockets):
            mode = subs.get((exchange_type, token))
            if mode and not ws.closed:
                await ws.send_bytes(encode(mode, exchange_type, token, ltp, **extra))
                sent += 1
        return sent

    async def drop_sockets(self) -> int:
        sockets = [ws for ws, *_ in self.feed_sockets] + [ws for ws, _ in self.order_sockets]
        for ws in sockets:
            await ws.close(code=1011, message=b"dropped by the fake")
        return len(sockets)
