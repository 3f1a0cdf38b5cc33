"""A trader's watchlist: at most WATCHLIST_MAX instruments, in the order added."""

from django.db import transaction

from core.errors import Conflict, InvalidInput

from ..models import Instrument, WatchlistItem

WATCHLIST_MAX = 50


@transaction.atomic
def watchlist_add(*, user, instrument: Instrument) -> tuple[WatchlistItem, bool]:
    if not instrument.is_active:
        raise InvalidInput(f"{instrument.key} is no longer listed.", code="instrument_inactive", field="symbol")
    items = WatchlistItem.objects.select_for_update(of=("self",)).filter(user=user)  # not the user row
    existing = [item for item in items if item.instrument_id == instrument.id]
    if existing:
        return existing[0], False
    if len(items) >= WATCHLIST_MAX:
        raise Conflict(
            f"Your watchlist already holds {WATCHLIST_MAX} instruments; remove one first.", code="watchlist_full"
        )
    last = max((item.position for item in items), default=-1)
    return WatchlistItem.objects.create(user=user, instrument=instrument, position=last + 1), True


def watchlist_remove(*, user, instrument_id: int) -> bool:
    deleted, _ = WatchlistItem.objects.filter(user=user, instrument_id=instrument_id).delete()
    return bool(deleted)
