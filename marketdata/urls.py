from django.urls import path

from . import views

app_name = "marketdata"

urlpatterns = [
    path("watchlist/", views.watchlist_partial, name="watchlist"),
    path("watchlist/add/", views.watchlist_add_view, name="watchlist-add"),
    path("watchlist/<int:instrument_id>/remove/", views.watchlist_remove_view, name="watchlist-remove"),
    path("instruments/search/", views.instrument_search_partial, name="search"),
    path("instruments/<str:exchange>/<path:symbol>/", views.instrument_detail, name="instrument"),
]
