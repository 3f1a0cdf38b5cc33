"""Every write in orders, split by responsibility (see DESIGN.md):

- placement: order_place, positions_close (square-off), order_funds_required (what an order blocks)
- modification: order_modify, order_cancel, orders_cancel_all (the trader's requests)
- submission: order_submit, order_modify_submit, order_cancel_submit (the worker's broker calls)
- broker_updates: order_apply_update, the one path fills and status changes take
- position_margin: what an open position blocks (positions move with fills, in the books: orders/books/)
- funds: account_open, paper_account_open (its starting capital optional), funds_set_capital, funds_deposit,
  funds_withdraw
- paper_reset: paper_account_reset (cancel, clear positions, the opening cash again), paper_account_opening_cash
- sweeps: orders_outbox_sweep, orders_reconcile (broker_books: external orders, position mismatches)
- account_mode: broker_ready (the live gate at placement), trading_account_switch_mode
- notices: dashboard notices for the trader (notifications.services keeps them), typed events
- end_of_day: orders_expire_day, mis_orders_cancel, mis_positions_close
- dispatch: queueing tasks (the books, orders/books/, and the lifecycle, orders/lifecycle.py, sit beside)
"""

from ..books import position_margin
from .account_mode import broker_ready, trading_account_switch_mode
from .broker_updates import on_broker_update, order_apply_update, order_id_from_tag
from .end_of_day import mis_orders_cancel, mis_positions_close, orders_expire_day
from .funds import account_open, funds_deposit, funds_set_capital, funds_withdraw, paper_account_open
from .modification import MODIFIABLE, order_cancel, order_modify, orders_cancel_all
from .paper_reset import paper_account_opening_cash, paper_account_reset
from .placement import FundsRequired, order_funds_required, order_place, positions_close
from .submission import order_cancel_submit, order_modify_submit, order_submit
from .sweeps import orders_outbox_sweep, orders_reconcile

__all__ = [
    "MODIFIABLE",
    "FundsRequired",
    "account_open",
    "broker_ready",
    "funds_deposit",
    "funds_set_capital",
    "funds_withdraw",
    "mis_orders_cancel",
    "mis_positions_close",
    "on_broker_update",
    "order_apply_update",
    "order_cancel",
    "order_cancel_submit",
    "order_funds_required",
    "order_id_from_tag",
    "order_modify",
    "order_modify_submit",
    "order_place",
    "order_submit",
    "orders_cancel_all",
    "orders_expire_day",
    "orders_outbox_sweep",
    "orders_reconcile",
    "paper_account_open",
    "paper_account_opening_cash",
    "paper_account_reset",
    "position_margin",
    "positions_close",
    "trading_account_switch_mode",
]
