"""Resetting a paper account: as it was opened, but with its history kept (orders, trades, the ledger)."""

from decimal import Decimal

from django.conf import settings

from accounts.models import TradingAccount
from core.errors import Conflict, RuleViolation
from core.formatting import inr

from ..books import AccountBooks
from ..models import TERMINAL, LedgerEntry, Order
from .funds import STARTING_CAPITAL_NOTE, _audit
from .modification import orders_cancel_all

RESET_REASON = "Paper account reset"


def paper_account_reset(*, user, account: TradingAccount) -> LedgerEntry:
    """Cancel the account's working orders, clear its positions and bring its cash back to the opening amount,
    with a ledger row saying so. Refused for a live account (its money is at the broker), and (409) while
    an order is still being cancelled at the simulated exchange: the cancel is asked for, so a retry succeeds.
    """
    _check_paper(account)
    orders_cancel_all(user=user, account=account, reason=RESET_REASON)
    with AccountBooks.locked(account.id) as books:  # a switch to live takes this lock too: checked again under it
        _check_paper(account)
        still_open = Order.objects.filter(account=account).exclude(status__in=TERMINAL).count()
        if still_open:
            raise Conflict(
                f"{still_open} order(s) are still being cancelled; reset again in a moment.",
                code="orders_still_open",
            )
        books.positions_clear()
        opening = _opening_cash(account)
        entry = books.adjust(opening - books.cash, note=f"{RESET_REASON}: opening ₹{inr(opening)} restored")
        _audit(entry, user)
    return entry


def _check_paper(account: TradingAccount) -> None:
    mode = TradingAccount.objects.filter(pk=account.pk).values_list("mode", flat=True).first()  # not a cached copy
    if mode != TradingAccount.Mode.PAPER:
        raise RuleViolation(
            "Only a paper account can be reset: a live account's money is at the broker.", code="live_account_reset"
        )


def paper_account_opening_cash(*, account: TradingAccount) -> Decimal:
    """The cash a reset would bring the account back to (the dashboard says it before asking to confirm)."""
    return _opening_cash(account)


def _opening_cash(account: TradingAccount) -> Decimal:
    """What the account was opened with (its starting deposit), else what a new paper account gets now."""
    first = LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.DEPOSIT, note=STARTING_CAPITAL_NOTE)
    amount = first.order_by("id").values_list("amount", flat=True).first()
    return settings.PAPER_STARTING_FUNDS if amount is None else amount
