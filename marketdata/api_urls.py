from django.urls import path

from core.routing import route

from . import api

urlpatterns = [
    path("quotes/", api.QuotesApi.as_view(), name="quotes"),
    path("candles/", api.CandlesApi.as_view(), name="candles"),
    path("instruments/", api.InstrumentListApi.as_view(), name="instruments"),
    path("watchlist/", route(get=api.WatchlistListApi, post=api.WatchlistAddApi), name="watchlist"),
    path("watchlist/<int:instrument_id>/", api.WatchlistRemoveApi.as_view(), name="watchlist-item"),
]
