"""Opening trading accounts and choosing the default: the one writer of TradingAccount.name and .is_default.

A user's first account is their default; later ones are not until chosen. The database holds the rule
too (one default per user, names unique per user), so a race loses with an IntegrityError, not a second
default.
"""

from auditlog.context import set_actor
from django.db import IntegrityError, transaction

from core.errors import InvalidInput, NotFound, RuleViolation

from ..models import TradingAccount, User
from ..selectors import trading_account_cache_clear

MAX_ACCOUNTS_PER_USER = 10
NAMES_BY_MODE = {TradingAccount.Mode.PAPER: "Paper", TradingAccount.Mode.LIVE: "Live"}


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > 40 or "\x00" in name:
        raise InvalidInput("Give the account a name of 1 to 40 characters.", code="invalid_name", field="name")
    return name


def _name_taken(name: str) -> RuleViolation:
    return RuleViolation(f"You already have an account named {name!r}.", code="account_name_taken", field="name")


@transaction.atomic
def trading_account_create(*, user: User, name: str = "", mode: str = TradingAccount.Mode.PAPER) -> TradingAccount:
    """A new account for `user`: their default if it is their first. Empty `name`: named by its mode."""
    User.objects.select_for_update().filter(pk=user.pk).first()  # one open at a time per user: the checks hold
    existing = TradingAccount.objects.filter(user=user)
    name = _clean_name(name or NAMES_BY_MODE.get(mode, "Account"))
    if existing.filter(name=name).exists():
        raise _name_taken(name)
    if existing.count() >= MAX_ACCOUNTS_PER_USER:
        raise RuleViolation(f"At most {MAX_ACCOUNTS_PER_USER} trading accounts.", code="account_limit")
    first = not existing.filter(is_default=True).exists()
    try:
        with transaction.atomic(), set_actor(user):
            account = TradingAccount.objects.create(user=user, name=name, mode=mode, is_default=first)
    except IntegrityError:
        raise _name_taken(name) from None
    trading_account_cache_clear()
    return account


@transaction.atomic
def trading_account_make_default(*, user: User, account: TradingAccount) -> TradingAccount:
    """Make one of the user's accounts their default (the others stop being it)."""
    if account.user_id != user.pk:
        raise NotFound(f"You have no trading account #{account.pk}.", code="account_not_found")
    with set_actor(user):
        TradingAccount.objects.filter(user=user, is_default=True).exclude(pk=account.pk).update(is_default=False)
        TradingAccount.objects.filter(pk=account.pk).update(is_default=True)
    trading_account_cache_clear()
    account.is_default = True
    return account
