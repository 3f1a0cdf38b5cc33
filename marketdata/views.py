"""Dashboard views for market data: watchlist partials, instrument search, the chart page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError

from .selectors import instrument_get, instrument_get_by_key, instrument_search, watchlist_for_user
from .services import watchlist_add, watchlist_remove

# A partial re-rendered with an error: htmx swaps 422 (see the htmx-config meta in base.html).
FORM_ERROR_STATUS = 422


def _watchlist(request, error: str = "", status: int = 200):
    items = watchlist_for_user(user=request.user)
    return render(request, "marketdata/_watchlist.html", {"items": items, "watchlist_error": error}, status=status)


@login_required
@require_GET
def watchlist_partial(request):
    return _watchlist(request)


@login_required
@require_POST
def watchlist_add_view(request):
    try:
        instrument = instrument_get(instrument_id=int(request.POST.get("instrument_id", "0")))
        watchlist_add(user=request.user, instrument=instrument)
    except ValueError:
        return _watchlist(request, "Choose an instrument from the search results.", status=FORM_ERROR_STATUS)
    except DomainError as exc:
        return _watchlist(request, exc.message, status=FORM_ERROR_STATUS)
    return _watchlist(request)


@login_required
@require_POST
def watchlist_remove_view(request, instrument_id: int):
    watchlist_remove(user=request.user, instrument_id=instrument_id)
    return _watchlist(request)


@login_required
@require_GET
def instrument_search_partial(request):
    text = request.GET.get("q", "").strip()[:64]
    results = list(instrument_search(search=text)[:12]) if text else []
    return render(request, "marketdata/_search_results.html", {"results": results, "q": text})


@login_required
@require_GET
def instrument_detail(request, exchange: str, symbol: str):
    try:
        instrument = instrument_get_by_key(exchange=exchange.upper(), symbol=symbol)
    except DomainError:
        return render(request, "errors/404.html", status=404)
    return render(request, "marketdata/instrument.html", {"instrument": instrument, "intervals": INTERVAL_LABELS})


INTERVAL_LABELS = [("1m", "1m"), ("5m", "5m"), ("15m", "15m"), ("1h", "1H"), ("1d", "1D")]
