"""Market data services, by responsibility; the public names are re-exported here."""

from .instruments import ImportRefused, ImportReport, Progress, instruments_import
from .interest import INTEREST_SECONDS, instruments_interest_note
from .market_state import candles_import, candles_upsert, feed_heartbeat, market_state_flush, market_state_load
from .watchlist import WATCHLIST_MAX, watchlist_add, watchlist_remove

__all__ = [
    "INTEREST_SECONDS",
    "WATCHLIST_MAX",
    "ImportRefused",
    "ImportReport",
    "Progress",
    "candles_import",
    "candles_upsert",
    "feed_heartbeat",
    "instruments_import",
    "instruments_interest_note",
    "market_state_flush",
    "market_state_load",
    "watchlist_add",
    "watchlist_remove",
]
