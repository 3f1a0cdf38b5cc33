"""Dashboard views for market data: watchlist partials, instrument search, the chart page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from core.htmx import partial
from core.inputs import int_parse
from core.views import not_found

from .selectors import (
    instrument_get,
    instrument_get_by_key,
    instrument_search,
    instruments_with_ltp,
    watchlist_for_user,
)
from .services import watchlist_add, watchlist_remove

PURPOSES = ("watchlist", "ticket", "backtest")


def _watchlist(request, error: str = ""):
    items = watchlist_for_user(user=request.user)
    return partial(request, "marketdata/_watchlist.html", {"items": items, "watchlist_error": error}, error=bool(error))


@login_required
@require_GET
def watchlist_partial(request):
    return _watchlist(request)


@login_required
@require_POST
def watchlist_add_view(request):
    try:
        instrument = instrument_get(instrument_id=int_parse(request.POST.get("instrument_id", "0")))
        watchlist_add(user=request.user, instrument=instrument)
    except ValueError:
        return _watchlist(request, "Choose an instrument from the search results.")
    except DomainError as exc:
        return _watchlist(request, exc.message)
    return _watchlist(request)


@login_required
@require_POST
def watchlist_remove_view(request, instrument_id: int):
    watchlist_remove(user=request.user, instrument_id=instrument_id)
    return _watchlist(request)


@login_required
@require_GET
def instrument_search_partial(request):
    """Search results with a Buy/Sell and (for the watchlist) an Add button; `for=ticket` when the Orders
    page's ticket searches, where a result is picked into the ticket; `for=backtest` when the backtest form's
    instruments box does, where a result's key is written into the box."""
    purpose = request.GET.get("for") if request.GET.get("for") in PURPOSES else "watchlist"
    text = request.GET.get("q", "")
    if purpose == "backtest":  # the backtest form's instruments box: the name being typed after the last comma
        text = request.GET.get("symbols", "").rpartition(",")[2]
    text = text.strip()[:64]
    results = instruments_with_ltp(instrument_search(search=text)[:12]) if text else []
    return render(request, "marketdata/_search_results.html", {"results": results, "q": text, "purpose": purpose})


@login_required
@require_GET
def instrument_detail(request, exchange: str, symbol: str):
    try:
        instrument = instrument_get_by_key(exchange=exchange.upper(), symbol=symbol)
    except DomainError:
        return not_found(request)
    return render(request, "marketdata/instrument.html", {"instrument": instrument, "intervals": INTERVAL_LABELS})


INTERVAL_LABELS = [("1m", "1m"), ("5m", "5m"), ("15m", "15m"), ("1h", "1H"), ("1d", "1D")]
