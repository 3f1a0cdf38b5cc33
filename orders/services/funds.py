"""Opening paper accounts and moving their capital."""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from accounts.models import TradingAccount
from core.errors import InvalidInput

from ..models import Funds, LedgerEntry
from .books import ZERO, ledger, locked, money

CAPITAL_KINDS = [LedgerEntry.Kind.DEPOSIT, LedgerEntry.Kind.WITHDRAWAL, LedgerEntry.Kind.ADJUSTMENT]


@transaction.atomic
def account_open(*, user, starting_funds: Decimal | None = None, always_open: bool | None = None) -> TradingAccount:
    """The user's paper trading account with its funds (idempotent)."""
    account, _ = TradingAccount.objects.get_or_create(user=user)
    if always_open is not None and account.always_open != always_open:
        account.always_open = always_open
        account.save(update_fields=["always_open"])
    _, created = Funds.objects.get_or_create(account=account)
    if created:
        amount = Decimal(settings.PAPER_STARTING_FUNDS if starting_funds is None else starting_funds)
        if amount:
            with locked(account.id) as books:
                ledger(books.funds, LedgerEntry.Kind.DEPOSIT, amount, note="Starting paper capital")
    elif starting_funds is not None:
        funds_set_capital(account=account, amount=Decimal(starting_funds))
    return account


def funds_set_capital(*, account: TradingAccount, amount: Decimal) -> Decimal:
    """Bring deposits minus withdrawals to `amount` with one adjustment (idempotent). Returns the change."""
    if amount < 0:
        raise InvalidInput("Capital cannot be negative.", code="invalid_amount", field="funds")
    with locked(account.id) as books:
        deposited = (
            LedgerEntry.objects.filter(account=account, kind__in=CAPITAL_KINDS).aggregate(total=Sum("amount"))["total"]
            or ZERO
        )
        change = money(amount - deposited)
        if change:
            ledger(books.funds, LedgerEntry.Kind.ADJUSTMENT, change, note=f"Paper capital set to {amount}")
    return change
