from django.urls import path

from . import broker_views, views
from .views import risk as risk_views

app_name = "orders"

urlpatterns = [
    path("orders/", views.orders_page, name="orders"),
    path("orders/book/", views.order_book_partial, name="book"),
    path("orders/ticket/", views.ticket_partial, name="ticket"),
    path("orders/ticket/estimate/", views.ticket_estimate, name="ticket-estimate"),
    path("orders/place/", views.order_place_view, name="place"),
    path("orders/cancel-all/", views.orders_cancel_all_view, name="cancel-all"),
    path("orders/<int:order_id>/", views.order_detail, name="order-detail"),
    path("orders/<int:order_id>/modify/", views.order_modify_view, name="modify"),
    path("orders/<int:order_id>/cancel/", views.order_cancel_view, name="cancel"),
    path("orders/<int:order_id>/notice/", views.order_notice_partial, name="notice"),
    path("orders/external/", broker_views.external_orders_partial, name="external"),
    path("broker/", broker_views.broker_page, name="broker"),
    path("broker/save/", broker_views.broker_save_view, name="broker-save"),
    path("broker/connect/", broker_views.broker_connect_view, name="broker-connect"),
    path("broker/disconnect/", broker_views.broker_disconnect_view, name="broker-disconnect"),
    path("broker/mode/", broker_views.account_mode_view, name="account-mode"),
    path("notices/", broker_views.notices_partial, name="notices"),
    path("notices/read/", broker_views.notices_read_view, name="notices-read"),
    path("positions/", views.positions_page, name="positions"),
    path("positions/live/", views.positions_partial, name="positions-live"),
    path("positions/trades/", views.trades_partial, name="trades"),
    path("positions/close/", views.position_close_view, name="position-close"),
    path("positions/close-all/", views.positions_close_all_view, name="positions-close-all"),
    path("holdings/", views.holdings_page, name="holdings"),
    path("holdings/live/", views.holdings_partial, name="holdings-live"),
    path("risk/", risk_views.risk_page, name="risk"),
    path("risk/panel/", risk_views.risk_panel_partial, name="risk-panel"),
    path("risk/kill-switch/", risk_views.kill_switch_view, name="kill-switch"),
    path("risk/reactivate/", risk_views.reactivate_view, name="reactivate"),
    path("accounts/", views.trading_accounts_page, name="trading-accounts"),
    path("accounts/open/", views.trading_account_open_view, name="trading-account-open"),
    path("accounts/<int:account_id>/rename/", views.trading_account_rename_view, name="trading-account-rename"),
    path("accounts/<int:account_id>/default/", views.trading_account_default_view, name="trading-account-default"),
    path("accounts/<int:account_id>/reset/", views.trading_account_reset_view, name="trading-account-reset"),
    path("funds/", views.funds_page, name="funds"),
    path("funds/move/", views.funds_move_view, name="funds-move"),
    path("chart/<int:instrument_id>/lines/", views.chart_lines, name="chart-lines"),
]
