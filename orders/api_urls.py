from django.urls import path

from core.routing import route

from .api import accounts, funds, live, orders, positions, risk

urlpatterns = [
    path("accounts/", route(get=accounts.AccountListApi, post=accounts.AccountCreateApi), name="accounts"),
    path("accounts/<int:account_id>/", accounts.AccountUpdateApi.as_view(), name="account"),
    path("accounts/<int:account_id>/reset/", accounts.AccountResetApi.as_view(), name="account-reset"),
    path("orders/", route(get=orders.OrderListApi, post=orders.OrderCreateApi), name="orders"),
    path("orders/external/", live.ExternalOrderListApi.as_view(), name="orders-external"),
    path("orders/cancel-all/", orders.OrderCancelAllApi.as_view(), name="orders-cancel-all"),
    path(
        "orders/<int:order_id>/",
        route(get=orders.OrderDetailApi, patch=orders.OrderModifyApi, delete=orders.OrderCancelApi),
        name="order",
    ),
    path("orders/<int:order_id>/events/", orders.OrderEventListApi.as_view(), name="order-events"),
    path("trades/", positions.TradeListApi.as_view(), name="trades"),
    path("positions/", positions.PositionListApi.as_view(), name="positions"),
    path("positions/close/", positions.PositionCloseApi.as_view(), name="positions-close"),
    path("funds/", funds.FundsApi.as_view(), name="funds"),
    path("funds/ledger/", funds.LedgerListApi.as_view(), name="funds-ledger"),
    path("account/mode/", route(get=live.AccountModeApi, post=live.AccountModeSwitchApi), name="account-mode"),
    path("risk/", risk.RiskApi.as_view(), name="risk"),
    path("risk/kill-switch/", risk.KillSwitchApi.as_view(), name="risk-kill-switch"),
    path("risk/reactivate/", risk.ReactivateApi.as_view(), name="risk-reactivate"),
]
