"""The fake's market-data routes: LTP, search, quotes (at most 50 tokens) and candles (per-interval day limits)."""

from datetime import datetime, timedelta
from decimal import Decimal

from aiohttp import web

from .envelopes import fail, ok
from .state import INSTRUMENTS, IST

CANDLE_DAYS = {
    "ONE_MINUTE": 30,
    "THREE_MINUTE": 60,
    "FIVE_MINUTE": 100,
    "TEN_MINUTE": 100,
    "FIFTEEN_MINUTE": 200,
    "THIRTY_MINUTE": 200,
    "ONE_HOUR": 400,
    "ONE_DAY": 2000,
}
CANDLE_MINUTES = {
    "ONE_MINUTE": 1,
    "THREE_MINUTE": 3,
    "FIVE_MINUTE": 5,
    "TEN_MINUTE": 10,
    "FIFTEEN_MINUTE": 15,
    "THIRTY_MINUTE": 30,
    "ONE_HOUR": 60,
    "ONE_DAY": 0,
}


class MarketRoutes:
    state = None  # FakeState, set by FakeAngelOne

    async def ltp(self, request, client) -> web.Response:
        body = await request.json()
        key = (str(body.get("exchange")), str(body.get("symboltoken")))
        if key not in self.state.prices:
            return fail("AB1009", "Symbol not found")
        price = f"{self.state.prices[key]}"
        return ok(
            {
                "exchange": key[0],
                "tradingsymbol": body.get("tradingsymbol"),
                "symboltoken": key[1],
                "open": price,
                "high": price,
                "low": price,
                "close": price,
                "ltp": price,
            }
        )

    async def search(self, request, client) -> web.Response:
        body = await request.json()
        text = str(body.get("searchscrip", "")).upper()
        found = [
            {"exchange": i[0], "tradingsymbol": i[2], "symboltoken": i[1]}
            for i in self.state_instruments()
            if i[0] == body.get("exchange") and text in i[2]
        ]
        return ok(found)

    def state_instruments(self):
        return INSTRUMENTS

    async def quote(self, request, client) -> web.Response:
        body = await request.json()
        groups = body.get("exchangeTokens") or {}
        count = sum(len(tokens) for tokens in groups.values())
        self.state.quote_max_tokens = max(self.state.quote_max_tokens, count)
        if count > 50:
            return fail("AB4002", "Maximum 50 tokens allowed in one request")
        fetched, unfetched = [], []
        for exchange, tokens in groups.items():
            for token in tokens:
                instrument = self.state.instrument(exchange, str(token))
                if instrument is None:
                    unfetched.append(
                        {
                            "exchange": exchange,
                            "symbolToken": token,
                            "message": "Symbol not found",
                            "errorCode": "AB1009",
                        }
                    )
                    continue
                fetched.append(self._quote_row(instrument, self.state.prices[(exchange, str(token))]))
        return ok({"fetched": fetched, "unfetched": unfetched})

    @staticmethod
    def _quote_row(instrument, ltp: Decimal) -> dict:
        exchange, token, symbol = instrument[:3]
        tick = Decimal("0.05")

        def level(side: int, i: int) -> dict:
            return {"price": str(ltp + side * tick * (i + 1)), "quantity": str(100 * (i + 1)), "orders": "3"}

        depth = {"buy": [level(-1, i) for i in range(5)], "sell": [level(1, i) for i in range(5)]}
        return {
            "exchange": exchange,
            "tradingSymbol": symbol,
            "symbolToken": token,
            "ltp": str(ltp),
            "open": str(ltp),
            "high": str(ltp),
            "low": str(ltp),
            "close": str(ltp),
            "lastTradeQty": "5",
            "exchFeedTime": "",
            "exchTradeTime": "",
            "netChange": "0",
            "percentChange": "0",
            "avgPrice": str(ltp),
            "tradeVolume": "1000",
            "opnInterest": "0",
            "lowerCircuit": str(ltp * Decimal("0.8")),
            "upperCircuit": str(ltp * Decimal("1.2")),
            "totBuyQuan": "1500",
            "totSellQuan": "1350",
            "52WeekLow": str(ltp * Decimal("0.7")),
            "52WeekHigh": str(ltp * Decimal("1.3")),
            "depth": depth,
        }

    async def candles(self, request, client) -> web.Response:
        body = await request.json()
        interval = str(body.get("interval"))
        if interval not in CANDLE_DAYS:
            return fail("AB1004", "Invalid interval")
        try:
            start = datetime.strptime(body["fromdate"], "%Y-%m-%d %H:%M").replace(tzinfo=IST)
            end = datetime.strptime(body["todate"], "%Y-%m-%d %H:%M").replace(tzinfo=IST)
        except (KeyError, ValueError):
            return fail("AB13000", "Invalid date format")
        if end - start > timedelta(days=CANDLE_DAYS[interval]) or end < start:
            return fail("AB13001", "Date range exceeds the limit for this interval")
        self.state.candle_windows.append((interval, body["fromdate"], body["todate"]))
        base = self.state.prices.get((str(body.get("exchange")), str(body.get("symboltoken"))), Decimal(100))
        return ok(_candles(interval, start, end, base))


def _candles(interval: str, start: datetime, end: datetime, base: Decimal) -> list[list]:
    minutes = CANDLE_MINUTES[interval]
    rows, day = [], start.date()
    while datetime.combine(day, datetime.min.time(), tzinfo=IST) < end:
        if day.weekday() < 5:
            if minutes == 0:
                stamps = [datetime.combine(day, datetime.min.time(), tzinfo=IST)]
            else:
                open_at = datetime(day.year, day.month, day.day, 9, 15, tzinfo=IST)
                stamps = [open_at + timedelta(minutes=minutes * i) for i in range(375 // minutes)]
            for stamp in stamps:
                if start <= stamp < end:
                    p = base + Decimal(stamp.toordinal() % 7)
                    rows.append([stamp.isoformat(), str(p), str(p + 2), str(p - 1), str(p + 1), "1000"])
        day += timedelta(days=1)
    return rows
