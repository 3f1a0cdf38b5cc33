from django.urls import path

from . import api

urlpatterns = [
    path("orders/", api.OrderListCreateApi.as_view(), name="orders"),
    path("orders/cancel-all/", api.OrderCancelAllApi.as_view(), name="orders-cancel-all"),
    path("orders/<int:order_id>/", api.OrderDetailApi.as_view(), name="order"),
    path("orders/<int:order_id>/events/", api.OrderEventsApi.as_view(), name="order-events"),
    path("trades/", api.TradeListApi.as_view(), name="trades"),
    path("positions/", api.PositionListApi.as_view(), name="positions"),
    path("positions/close/", api.PositionCloseApi.as_view(), name="positions-close"),
    path("funds/", api.FundsApi.as_view(), name="funds"),
    path("funds/ledger/", api.LedgerApi.as_view(), name="funds-ledger"),
]
