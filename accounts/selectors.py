"""Reads in accounts that are more than a .get."""

from core.cache import TimedCache

from .models import TradingAccount

# Read on every order; an account's mode or market-hours setting changes rarely, and a change
# reaches every process within these seconds.
_accounts = TimedCache(ttl=10.0)


def trading_account_for(user) -> TradingAccount | None:
    """The user's trading account (remembered in this process for a few seconds), or None."""
    account = _accounts.get(user.pk)
    if account is None:
        account = TradingAccount.objects.filter(user_id=user.pk).first()
        if account is not None:
            _accounts.put(user.pk, account)
    return account


def trading_account_cache_clear() -> None:
    _accounts.clear()
