"""Topic names: what a client may subscribe to, resolved to what the hub fans out.

- `quotes:<EXCHANGE>:<SYMBOL>`: the instrument's quote (the REST quote's fields), coalesced;
- `candles:<EXCHANGE>:<SYMBOL>:<interval>` (or `candles:<SYMBOL>:<interval>` for NSE): the forming candle;
- `orders`, `positions`, `funds`, `notices`: the connected user's own events, numbered (`seq`), of all their
  trading accounts; `orders:<account id>` and so on: of that account only (another user's: refused).

Database reads here are synchronous: the consumer calls them through `database_sync_to_async`.
"""

from dataclasses import dataclass

from marketdata.intervals import INTERVALS
from marketdata.selectors import instrument_refs_resolve
from marketdata.services.interest import instruments_interest_note
from notifications.stream_log import PRIVATE_TOPICS

from .auth import Credential, account_allowed
from .protocol import TOPIC_NOT_ALLOWED, UNKNOWN_TOPIC, BadMessage


@dataclass(frozen=True, slots=True)
class Topic:
    name: str  # as the client wrote it: events come back under this name
    kind: str  # "quotes", "candles" or "private"
    instrument_id: int | None = None
    interval: str | None = None
    account_id: int | None = None  # a private topic of one account
    exchange: str = ""
    symbol: str = ""
    price_places: int = 2


def resolve(names: list[str], *, credential: Credential) -> tuple[list[Topic], list[BadMessage]]:
    """The topics named (each once), and an error for each name that is none or not the client's to hear."""
    topics, errors, wanted = [], [], {}
    for name in dict.fromkeys(names):
        try:
            kind, key, interval = _split(name)
        except BadMessage as exc:
            errors.append(exc)
            continue
        if kind == "private":
            if interval is not None and not account_allowed(credential, int(interval)):
                errors.append(BadMessage(TOPIC_NOT_ALLOWED, "That is not one of your trading accounts.", name))
            else:
                topics.append(Topic(name, "private", account_id=None if interval is None else int(interval)))
        else:
            wanted[name] = (kind, key, interval)
    refs = instrument_refs_resolve([key for _, key, _ in wanted.values()]) if wanted else {}
    for name, (kind, key, interval) in wanted.items():
        ref = refs.get(key)
        if ref is None:
            errors.append(BadMessage(UNKNOWN_TOPIC, f"No listed instrument is {key[0]}:{key[1]}.", name))
            continue
        topics.append(
            Topic(
                name,
                kind,
                instrument_id=ref.id,
                interval=interval,
                exchange=ref.exchange,
                symbol=ref.symbol,
                price_places=ref.price_places,
            )
        )
    market = [t.instrument_id for t in topics if t.instrument_id is not None]
    if market:
        instruments_interest_note(instrument_ids=market)  # keeps the feed ticking them
    return topics, errors


def _split(name: str) -> tuple[str, tuple[str, str] | None, str | None]:
    if name in PRIVATE_TOPICS:
        return "private", None, None
    parts = name[:200].split(":")
    if parts[0] in PRIVATE_TOPICS and len(parts) == 2 and parts[1].isascii() and parts[1].isdigit():
        return "private", None, parts[1]  # the account's id
    if parts[0] == "quotes" and len(parts) == 3 and all(parts[1:]):
        return "quotes", (parts[1].upper(), parts[2].upper()), None
    if parts[0] == "candles" and len(parts) in (3, 4) and all(parts[1:]):
        interval = parts[-1]
        if interval not in INTERVALS:
            raise BadMessage(UNKNOWN_TOPIC, f"Candle intervals are {', '.join(INTERVALS)}.", name)
        exchange, symbol = (parts[1], parts[2]) if len(parts) == 4 else ("NSE", parts[1])
        return "candles", (exchange.upper(), symbol.upper()), interval
    raise BadMessage(
        UNKNOWN_TOPIC,
        "Topics are quotes:<EXCHANGE>:<SYMBOL>, candles:<EXCHANGE>:<SYMBOL>:<interval>, "
        + ", ".join(PRIVATE_TOPICS)
        + " (optionally :<account id>).",
        name[:200],
    )
