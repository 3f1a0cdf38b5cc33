"""The account's books as one object: `AccountBooks` owns an account's cash, reservations, margin, positions
and the running risk totals, under the account's lock, with one method per movement. Nothing else writes
those fields (tests/orders/test_books_owner.py walks the project to hold it so); what each field means is
written once, in AccountBooks' docstring.
"""

from .account import (
    MONEY_PLACES,
    PRICE_PLACES,
    ZERO,
    AccountBooks,
    insufficient_funds_message,
    money,
    position_margin,
)
from .unit_of_work import mark
from .usage import Counted, usage_for, usage_of_account, usage_recount, usage_running
from .usage_view import Usage, day_start
from .verify import risk_usage_verify

__all__ = [
    "MONEY_PLACES",
    "PRICE_PLACES",
    "ZERO",
    "AccountBooks",
    "Counted",
    "Usage",
    "day_start",
    "insufficient_funds_message",
    "mark",
    "money",
    "position_margin",
    "risk_usage_verify",
    "usage_for",
    "usage_of_account",
    "usage_recount",
    "usage_running",
]
