"""A small copy of the scrip master, in the published format (every field a string)."""

import json

from .state import INSTRUMENTS


def scrip_master() -> bytes:
    rows = []
    for exchange, token, symbol, name, kind, lot, tick, _price in INSTRUMENTS:
        expiry = "29DEC2026" if kind.startswith("FUT") else ""
        rows.append(
            {
                "token": token,
                "symbol": symbol,
                "name": name,
                "expiry": expiry,
                "strike": "-1.000000",
                "lotsize": str(lot),
                "instrumenttype": kind,
                "exch_seg": exchange,
                "tick_size": tick,
            }
        )
    return json.dumps(rows).encode()
