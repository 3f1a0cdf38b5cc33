"""How instruments are named for people, and the words they are found by.

Pure functions of an instrument's fields (no model import), so the model, the
scrip master import and migrations all name and index instruments one way.
"""

import re
from datetime import date
from decimal import Decimal

EQUITY_SERIES_SUFFIX = "-EQ"
_WORD = re.compile(r"[a-z0-9&]+(?:\.[0-9]+)?")
# What a trader may type for a word the terms hold: full month names, call/put, future(s).
_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august", "september"]
_MONTH_NAMES += ["october", "november", "december"]
_MONTHS = tuple(month[:3] for month in _MONTH_NAMES)
SYNONYMS = {
    **dict(zip(_MONTH_NAMES, _MONTHS, strict=True)),
    "call": "ce",
    "put": "pe",
    "future": "fut",
    "futures": "fut",
}


def option_kind(symbol: str, instrument_type: str) -> str:
    """CE or PE for an option (the symbol's last two letters, as every Indian exchange writes it), else ""."""
    if instrument_type.startswith("OPT") and symbol[-2:].upper() in ("CE", "PE"):
        return symbol[-2:].upper()
    return ""


def strike_text(strike: Decimal | None) -> str:
    """26000.0000 -> "26000", 102.5000 -> "102.5"."""
    if strike is None:
        return ""
    return format(strike.normalize(), "f")


def display_name(*, symbol: str, name: str, instrument_type: str, expiry: date | None, strike: Decimal | None) -> str:
    """As traders write it: SBIN, Nifty 50, NIFTY 29 DEC FUT, NIFTY 29 DEC 26000 CE."""
    underlying = name.strip().upper()
    if instrument_type.startswith("FUT") and expiry and underlying:
        return f"{underlying} {expiry.day} {_MONTHS[expiry.month - 1].upper()} FUT"
    kind = option_kind(symbol, instrument_type)
    if kind and expiry and underlying and strike is not None:
        return f"{underlying} {expiry.day} {_MONTHS[expiry.month - 1].upper()} {strike_text(strike)} {kind}"
    return symbol.removesuffix(EQUITY_SERIES_SUFFIX)


def search_words(text: str) -> list[str]:
    """A query (or a field) as lower-case words, with synonyms written the way the terms hold them."""
    return [SYNONYMS.get(word, word) for word in _WORD.findall(text.lower())]


def search_terms(
    *,
    exchange: str,
    symbol: str,
    token: str,
    name: str,
    company_name: str,
    instrument_type: str,
    expiry: date | None,
    strike: Decimal | None,
) -> str:
    """The words an instrument is found by, lower case, each once, space-separated and space-framed
    (" sbin eq state bank of india ... "), so a query word matches anywhere in one contains-lookup."""
    words = [symbol.lower().replace(" ", ""), *search_words(symbol), *search_words(name)]
    words += [*search_words(company_name), exchange.lower(), token.lower()]
    if instrument_type.startswith("FUT"):
        words.append("fut")
    elif kind := option_kind(symbol, instrument_type):
        words.append(kind.lower())
    elif instrument_type in ("AMXIDX", "INDEX"):
        words.append("index")
    if expiry:
        words += [str(expiry.day), _MONTHS[expiry.month - 1], str(expiry.year)]
    if strike is not None and instrument_type.startswith("OPT"):
        words.append(strike_text(strike))
    unique = dict.fromkeys(word for word in words if word)
    return f" {' '.join(unique)} "
