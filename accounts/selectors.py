"""Reads in accounts that are more than a .get."""

from django.db.models import QuerySet

from core.cache import TimedCache
from core.errors import NotFound

from .models import ApiKey, SecurityEvent, TradingAccount

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


def api_key_list_for_user(*, user) -> QuerySet[ApiKey]:
    """The user's keys, newest first, revoked ones included (their history)."""
    return ApiKey.objects.filter(user=user).order_by("-created_at", "-id")


def api_key_get_for_user(*, user, key_id: int) -> ApiKey:
    """One of the user's keys; someone else's is a 404, as is one that does not exist."""
    key = ApiKey.objects.filter(user=user, pk=key_id).first()
    if key is None:
        raise NotFound("No such API key.", code="not_found")
    return key


def security_event_list_for_user(*, user) -> QuerySet[SecurityEvent]:
    """The user's own security events, newest first."""
    return SecurityEvent.objects.filter(user_id=user.pk).order_by("-id")
