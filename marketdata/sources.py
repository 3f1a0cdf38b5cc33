"""Tick sources that other apps provide (a broker's live feed), by name, for `run_feed --source`.

marketdata cannot import brokers; brokers registers its sources here in its
AppConfig.ready. A source has `name`, `step_seconds`, `subscribe(instrument_ids)`,
`next_ticks(now) -> list[Tick]` and, optionally, `close()`.
"""

from collections.abc import Callable
from typing import Any

SourceFactory = Callable[[dict[str, Any]], Any]
_sources: dict[str, SourceFactory] = {}


def register_feed_source(name: str, factory: SourceFactory) -> None:
    _sources[name] = factory


def feed_source_names() -> list[str]:
    return sorted(_sources)


def feed_source_create(name: str, options: dict[str, Any]) -> Any:
    try:
        factory = _sources[name]
    except KeyError:
        raise LookupError(f"no feed source registered as {name!r}") from None
    return factory(options)
