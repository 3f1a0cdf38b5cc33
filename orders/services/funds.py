"""Opening paper accounts and moving their capital: the administrator's setting and the trader's own moves."""

from decimal import Decimal

from auditlog.models import LogEntry
from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from accounts.models import TradingAccount
from accounts.services.trading_accounts import trading_account_create
from core.errors import InvalidInput, RuleViolation
from core.formatting import inr

from ..books import ZERO, AccountBooks, money
from ..models import LedgerEntry

PAISA = Decimal("0.01")
STARTING_CAPITAL_NOTE = "Starting paper capital"
CAPITAL_KINDS = [LedgerEntry.Kind.DEPOSIT, LedgerEntry.Kind.WITHDRAWAL, LedgerEntry.Kind.ADJUSTMENT]


@transaction.atomic
def account_open(*, user, starting_funds: Decimal | None = None, always_open: bool | None = None) -> TradingAccount:
    """The user's default paper trading account with its funds (idempotent)."""
    account = TradingAccount.objects.filter(user=user, is_default=True).first()
    if account is None:
        account = trading_account_create(user=user)
    if always_open is not None and account.always_open != always_open:
        account.always_open = always_open
        account.save(update_fields=["always_open"])
    _funds_open(account, starting_funds)
    return account


@transaction.atomic
def paper_account_open(*, user, name: str, starting_capital: Decimal | None = None) -> TradingAccount:
    """Another paper account for `user`, with its funds opened as the first account's are: with
    `starting_capital` rupees (what a reset brings it back to), else the administrator's amount."""
    if starting_capital is not None:
        _check_amount(starting_capital, field="starting_capital")
    account = trading_account_create(user=user, name=name, mode=TradingAccount.Mode.PAPER)
    _funds_open(account, starting_capital)
    return account


def _funds_open(account: TradingAccount, starting_funds: Decimal | None) -> None:
    if AccountBooks.open(account):
        amount = settings.PAPER_STARTING_FUNDS if starting_funds is None else Decimal(starting_funds)
        if amount:
            with AccountBooks.locked(account.id) as books:
                books.deposit(amount, note=STARTING_CAPITAL_NOTE)
    elif starting_funds is not None:
        funds_set_capital(account=account, amount=Decimal(starting_funds))


def funds_set_capital(*, account: TradingAccount, amount: Decimal) -> Decimal:
    """Bring deposits minus withdrawals to `amount` with one adjustment (idempotent). Returns the change."""
    if amount < 0:
        raise InvalidInput("Capital cannot be negative.", code="invalid_amount", field="funds")
    with AccountBooks.locked(account.id) as books:
        deposited = (
            LedgerEntry.objects.filter(account=account, kind__in=CAPITAL_KINDS).aggregate(total=Sum("amount"))["total"]
            or ZERO
        )
        change = money(amount - deposited)
        if change:
            books.adjust(change, note=f"Paper capital set to ₹{inr(amount)}")
    return change


# --- A trader's own deposits and withdrawals (paper accounts) ------------------------------------

MAX_FUNDS_MOVE = Decimal("100000000")  # ₹10 crore in one go: beyond it, a typo rather than an intent


def funds_deposit(*, user, account: TradingAccount, amount: Decimal) -> LedgerEntry:
    """Add paper money: one DEPOSIT ledger entry, recorded in the audit trail."""
    _check_funds_move(account, amount)
    with AccountBooks.locked(account.id) as books:
        entry = books.deposit(amount, note=_note("Paper money added", user, account))
        _audit(entry, user)
    return entry


def funds_withdraw(*, user, account: TradingAccount, amount: Decimal) -> LedgerEntry:
    """Take paper money out, never more than is available (cash not blocked by orders or positions)."""
    _check_funds_move(account, amount)
    with AccountBooks.locked(account.id) as books:
        available = books.available
        if amount > available:
            raise RuleViolation(
                f"You can withdraw at most ₹{inr(max(available, ZERO))}: the rest is blocked by orders "
                "and positions, or not there.",
                code="insufficient_funds",
                field="amount",
            )
        note = _note("Paper money withdrawn", user, account)
        entry = books.withdraw(amount, note=note)
        _audit(entry, user)
    return entry


def _note(what: str, user, account: TradingAccount) -> str:
    """The ledger's words: the trader's own move needs no name; someone else's (an admin's) is named."""
    return what if user.id == account.user_id else f"{what} by {user.username}"


def _check_funds_move(account: TradingAccount, amount: Decimal) -> None:
    if account.mode != TradingAccount.Mode.PAPER:
        raise RuleViolation(
            "A live account's money moves at the broker; add or withdraw funds there.",
            code="live_account_funds",
            field="amount",
        )
    _check_amount(amount, field="amount")


def _check_amount(amount: Decimal, *, field: str) -> None:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise InvalidInput("Enter a positive amount of rupees.", code="invalid_amount", field=field)
    if amount > MAX_FUNDS_MOVE:  # first: quantizing 1e26 to the paisa overflows the decimal context
        raise InvalidInput(f"At most ₹{inr(MAX_FUNDS_MOVE)} in one go.", code="amount_too_large", field=field)
    if amount != amount.quantize(PAISA):
        raise InvalidInput("Enter rupees and paise: at most two decimals.", code="invalid_amount", field=field)


def _audit(entry: LedgerEntry, user) -> None:
    """Ledger rows are not registered with auditlog (fills write them on the hot path); the trader's
    own money moves are logged here, explicitly."""
    LogEntry.objects.log_create(
        entry,
        force_log=True,
        action=LogEntry.Action.CREATE,
        actor=user,
        changes={"kind": [None, entry.kind], "amount": [None, str(entry.amount)]},
    )
