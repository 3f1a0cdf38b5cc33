"""Interest: which instruments the feed should keep ticking (someone asked for their quotes lately)."""

from collections.abc import Iterable
from datetime import timedelta

from core import clock
from core.cache import TimedCache

from ..models import LiveInterest

INTEREST_SECONDS = 300
# Instruments this process noted interest in lately: each is written at most once a minute.
_interest_noted = TimedCache(ttl=60.0)


def instruments_interest_note(*, instrument_ids: Iterable[int]) -> None:
    """Quotes were asked for: keep these instruments ticking for a few minutes.

    Each process writes at most once a minute per instrument, so the quotes
    hot path costs a dictionary lookup.
    """
    due = _interest_noted.split(set(instrument_ids))[1]  # once each: one statement cannot upsert a row twice
    if not due:
        return
    until = clock.now() + timedelta(seconds=INTEREST_SECONDS)
    LiveInterest.objects.bulk_create(
        [LiveInterest(instrument_id=pk, until=until) for pk in due],
        update_conflicts=True,
        unique_fields=["instrument"],
        update_fields=["until"],
    )
    for pk in due:
        _interest_noted.put(pk, True)
