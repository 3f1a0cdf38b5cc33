"""Binary ticks of Angel One's WebSocket 2.0 feed (little-endian; layout in SMARTAPI.md)."""

import struct
from dataclasses import dataclass, field
from decimal import Decimal

LTP, QUOTE, SNAP_QUOTE = 1, 2, 3
SIZES = {LTP: 51, QUOTE: 123, SNAP_QUOTE: 379}
EXCHANGE_TYPES = {"NSE": 1, "NFO": 2, "BSE": 3, "BFO": 4, "MCX": 5, "NCDEX": 7, "CDS": 13}
EXCHANGES = {v: k for k, v in EXCHANGE_TYPES.items()}
CURRENCY_FO = 13  # prices in 10^-7 rupees instead of paise

_HEAD = struct.Struct("<bb25sqqq")  # mode, exchange type, token, sequence, exchange time (ms), last price
_QUOTE = struct.Struct("<qqqddqqqq")  # last qty, average price, volume, total buy/sell qty, open, high, low, close
_SNAP = struct.Struct("<qqd")  # last trade time, open interest, open interest change %
_LEVEL = struct.Struct("<hqqh")  # buy/sell flag, quantity, price, orders
_LIMITS = struct.Struct("<qqqq")  # upper circuit, lower circuit, 52-week high, 52-week low


class PacketError(ValueError):
    pass


@dataclass(slots=True)
class Packet:
    mode: int
    exchange_type: int
    token: str
    sequence: int
    exchange_time_ms: int
    ltp: Decimal
    last_quantity: int = 0
    average_price: Decimal | None = None
    volume: int = 0
    total_buy_quantity: float = 0.0
    total_sell_quantity: float = 0.0
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None
    close: Decimal | None = None
    last_trade_time: int = 0
    open_interest: int = 0
    bids: list[tuple[Decimal, int, int]] = field(default_factory=list)  # (price, quantity, orders), best first
    asks: list[tuple[Decimal, int, int]] = field(default_factory=list)
    upper_circuit: Decimal | None = None
    lower_circuit: Decimal | None = None
    high_52w: Decimal | None = None
    low_52w: Decimal | None = None

    @property
    def exchange(self) -> str:
        return EXCHANGES.get(self.exchange_type, str(self.exchange_type))

    @property
    def bid(self) -> Decimal | None:
        return self.bids[0][0] if self.bids else None

    @property
    def ask(self) -> Decimal | None:
        return self.asks[0][0] if self.asks else None


def parse(data: bytes) -> Packet:
    if len(data) < SIZES[LTP]:
        raise PacketError(f"a tick packet is at least 51 bytes, got {len(data)}")
    mode, exchange_type, raw_token, sequence, exchange_ms, ltp = _HEAD.unpack_from(data, 0)
    if mode not in SIZES or len(data) < SIZES[mode]:
        raise PacketError(f"mode {mode} packet of {len(data)} bytes")
    scale = 7 if exchange_type == CURRENCY_FO else 2

    def price(units: int) -> Decimal:
        return Decimal(units).scaleb(-scale)

    token = raw_token.split(b"\x00", 1)[0].decode("ascii", errors="replace")
    packet = Packet(mode, exchange_type, token, sequence, exchange_ms, price(ltp))
    if mode >= QUOTE:
        last_qty, average, volume, buy_qty, sell_qty, open_, high, low, close = _QUOTE.unpack_from(data, 51)
        packet.last_quantity, packet.average_price, packet.volume = last_qty, price(average), volume
        packet.total_buy_quantity, packet.total_sell_quantity = buy_qty, sell_qty
        packet.open, packet.high, packet.low, packet.close = price(open_), price(high), price(low), price(close)
    if mode == SNAP_QUOTE:
        packet.last_trade_time, packet.open_interest, _ = _SNAP.unpack_from(data, 123)
        for index in range(10):
            flag, quantity, level_price, orders = _LEVEL.unpack_from(data, 147 + index * _LEVEL.size)
            if quantity or level_price:
                (packet.bids if flag == 1 else packet.asks).append((price(level_price), quantity, orders))
        upper, lower, high_52, low_52 = _LIMITS.unpack_from(data, 347)
        packet.upper_circuit, packet.lower_circuit = price(upper), price(lower)
        packet.high_52w, packet.low_52w = price(high_52), price(low_52)
    return packet
