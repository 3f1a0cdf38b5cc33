"""The fake's side of WebSocket 2.0: binary tick packets as the contract lays them out."""

import struct
import time
from decimal import Decimal

EXCHANGE_TYPE = {"NSE": 1, "NFO": 2, "BSE": 3, "BFO": 4, "MCX": 5, "NCDEX": 7, "CDS": 13}


def _units(price: Decimal | str | int, exchange_type: int) -> int:
    return int(Decimal(str(price)) * (10_000_000 if exchange_type == 13 else 100))


def encode(
    mode: int,
    exchange_type: int,
    token: str,
    ltp,
    *,
    sequence: int = 1,
    exchange_ms: int | None = None,
    last_qty: int = 0,
    volume: int = 0,
    ohlc: tuple = (0, 0, 0, 0),
    bids: list[tuple] = (),
    asks: list[tuple] = (),
    circuits: tuple = (0, 0, 0, 0),
    open_interest: int = 0,
) -> bytes:
    u = lambda p: _units(p, exchange_type)  # noqa: E731
    exchange_ms = int(time.time() * 1000) if exchange_ms is None else exchange_ms
    out = bytearray()
    out += struct.pack("<B", mode) + struct.pack("<B", exchange_type)
    out += token.encode().ljust(25, b"\x00")
    out += struct.pack("<q", sequence) + struct.pack("<q", exchange_ms) + struct.pack("<q", u(ltp))
    if mode == 1:
        return bytes(out)
    average = ohlc[3] or ltp
    out += struct.pack("<qqq", last_qty, u(average), volume)
    out += struct.pack("<dd", float(sum(q for _, q, _ in bids)), float(sum(q for _, q, _ in asks)))
    out += b"".join(struct.pack("<q", u(p)) for p in ohlc)
    if mode == 2:
        return bytes(out)
    out += struct.pack("<q", exchange_ms) + struct.pack("<q", open_interest) + struct.pack("<d", 0.0)
    levels = [(1, q, p, n) for p, q, n in bids[:5]] + [(0, q, p, n) for p, q, n in asks[:5]]
    levels += [(0, 0, 0, 0)] * (10 - len(levels))
    for flag, qty, price, orders in levels:
        out += (
            struct.pack("<h", flag) + struct.pack("<q", qty) + struct.pack("<q", u(price)) + struct.pack("<h", orders)
        )
    out += b"".join(struct.pack("<q", u(p)) for p in circuits)
    assert len(out) == 379, len(out)
    return bytes(out)
