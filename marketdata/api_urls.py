from django.urls import path

from . import api

urlpatterns = [
    path("quotes/", api.QuotesApi.as_view(), name="quotes"),
    path("candles/", api.CandlesApi.as_view(), name="candles"),
    path("instruments/", api.InstrumentListApi.as_view(), name="instruments"),
    path("watchlist/", api.WatchlistApi.as_view(), name="watchlist"),
    path("watchlist/<int:instrument_id>/", api.WatchlistItemApi.as_view(), name="watchlist-item"),
]
