"""The SmartAPI routes the platform uses (paths under /rest/) and their rate-limit buckets."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    bucket: str  # rate-limit bucket, a key of settings.ANGELONE_RATE_LIMITS
    write: bool = False  # changes state at the broker: never retried blindly
    auth: bool = True  # needs the session's JWT


_AUTH = "auth/angelbroking"
_USER = "secure/angelbroking/user/v1"
_ORDER = "secure/angelbroking/order/v1"

LOGIN = Endpoint("POST", f"{_AUTH}/user/v1/loginByPassword", "login", auth=False)
TOKENS = Endpoint("POST", f"{_AUTH}/jwt/v1/generateTokens", "tokens", auth=False)
PROFILE = Endpoint("GET", f"{_USER}/getProfile", "profile")
RMS = Endpoint("GET", f"{_USER}/getRMS", "rms")
LOGOUT = Endpoint("POST", f"{_USER}/logout", "profile")
PLACE = Endpoint("POST", f"{_ORDER}/placeOrder", "orders", write=True)
MODIFY = Endpoint("POST", f"{_ORDER}/modifyOrder", "orders", write=True)
CANCEL = Endpoint("POST", f"{_ORDER}/cancelOrder", "orders", write=True)
ORDER_BOOK = Endpoint("GET", f"{_ORDER}/getOrderBook", "orderbook")
TRADE_BOOK = Endpoint("GET", f"{_ORDER}/getTradeBook", "tradebook")
POSITIONS = Endpoint("GET", f"{_ORDER}/getPosition", "positions")
DETAILS = Endpoint("GET", f"{_ORDER}/details/", "details")  # + uniqueorderid
LTP = Endpoint("POST", f"{_ORDER}/getLtpData", "ltp")
SEARCH = Endpoint("POST", f"{_ORDER}/searchScrip", "search")
HOLDINGS = Endpoint("GET", "secure/angelbroking/portfolio/v1/getHolding", "holdings")
QUOTE = Endpoint("POST", "secure/angelbroking/market/v1/quote", "quote")
CANDLES = Endpoint("POST", "secure/angelbroking/historical/v1/getCandleData", "candles")
