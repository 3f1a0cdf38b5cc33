"""Dashboard views for orders, positions, holdings and funds, split by responsibility:

- ticket, ticket_state, estimate: the order ticket, what it shows, what an order would block
- book: the Orders page, cancelling, and notices that follow a request to its end
- detail: one order's page and its modify form
- positions, holdings, funds: the account's positions and trades, delivery holdings, money
- accounts: the Accounts page (open another paper account, rename, the default, reset a paper one)
- chart: the trader's lines on the chart (the home page and the top bar: the dashboard app)

Each parses the input, calls the same services and selectors as the API and
answers through core.htmx (a partial for htmx, a message and a redirect otherwise).
"""

from .accounts import (
    trading_account_default_view,
    trading_account_open_view,
    trading_account_rename_view,
    trading_account_reset_view,
    trading_accounts_page,
)
from .book import order_book_partial, order_cancel_view, order_notice_partial, orders_cancel_all_view, orders_page
from .chart import chart_lines
from .detail import order_detail, order_modify_view
from .estimate import ticket_estimate
from .funds import funds_move_view, funds_page
from .holdings import holdings_page, holdings_partial
from .positions import position_close_view, positions_close_all_view, positions_page, positions_partial, trades_partial
from .ticket import order_place_view, ticket_partial
from .ticket_state import TicketState, ticket_context

__all__ = [
    "TicketState",
    "chart_lines",
    "funds_move_view",
    "funds_page",
    "holdings_page",
    "holdings_partial",
    "order_book_partial",
    "order_cancel_view",
    "order_detail",
    "order_modify_view",
    "order_notice_partial",
    "order_place_view",
    "orders_cancel_all_view",
    "orders_page",
    "position_close_view",
    "positions_close_all_view",
    "positions_page",
    "positions_partial",
    "ticket_context",
    "ticket_estimate",
    "ticket_partial",
    "trades_partial",
    "trading_account_default_view",
    "trading_account_open_view",
    "trading_account_rename_view",
    "trading_account_reset_view",
    "trading_accounts_page",
]
