"""Opening trading accounts, renaming them, choosing the default: the one writer of TradingAccount.name
and .is_default.

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


def _lock_user(user: User) -> None:
    """One change to a user's accounts at a time: the checks made under it hold until the commit."""
    User.objects.select_for_update().filter(pk=user.pk).first()


def _own(user: User, account: TradingAccount) -> TradingAccount:
    """The account as it is now, if it is the user's (someone else's is a 404, like one that does not exist)."""
    fresh = TradingAccount.objects.filter(pk=account.pk, user=user).first()
    if fresh is None:
        raise NotFound(f"You have no trading account #{account.pk}.", code="account_not_found")
    return fresh


@transaction.atomic
def trading_account_create(*, user: User, name: str = "", mode: str = TradingAccount.Mode.PAPER) -> TradingAccount:
    """A new account for `user`: their default if it is their first. Empty `name`: named by its mode."""
    _lock_user(user)
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
    """Make one of the user's accounts their default (the others stop being it).

    Under the user's lock: two concurrent choices follow one another, so each ends with exactly one default
    (without it, the second could miss the first's new default and hit the one-default constraint).
    """
    _lock_user(user)
    account = _own(user, account)
    if account.is_default:
        return account
    with set_actor(user):
        TradingAccount.objects.filter(user=user, is_default=True).exclude(pk=account.pk).update(is_default=False)
        TradingAccount.objects.filter(pk=account.pk).update(is_default=True)
    trading_account_cache_clear()
    account.is_default = True
    return account


@transaction.atomic
def trading_account_rename(*, user: User, account: TradingAccount, name: str) -> TradingAccount:
    """Give one of the user's accounts another name (unique among their accounts)."""
    _lock_user(user)
    account = _own(user, account)
    name = _clean_name(name)
    if name == account.name:
        return account
    if TradingAccount.objects.filter(user=user, name=name).exclude(pk=account.pk).exists():
        raise _name_taken(name)
    account.name = name
    try:
        with transaction.atomic(), set_actor(user):
            account.save(update_fields=["name"])
    except IntegrityError:
        raise _name_taken(name) from None
    trading_account_cache_clear()
    return account


@transaction.atomic
def trading_account_update(
    *, user: User, account: TradingAccount, name: str | None = None, is_default: bool | None = None
) -> TradingAccount:
    """The API's PATCH: a new name and/or becoming the default. The default cannot stop being it
    (`is_default: false` on it is refused): there is always one, so another account is made the default."""
    _lock_user(user)
    account = _own(user, account)
    if is_default is False and account.is_default:
        raise RuleViolation(
            "There is always one default account: make another account the default instead.",
            code="default_required",
            field="is_default",
        )
    if name is not None:
        account = trading_account_rename(user=user, account=account, name=name)
    if is_default:
        account = trading_account_make_default(user=user, account=account)
    return account
