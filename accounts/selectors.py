"""Reads in accounts that are more than a .get."""

from django.db.models import QuerySet

from core.cache import TimedCache
from core.errors import NotFound

from .models import ApiKey, SecurityEvent, TradingAccount

# Read on every order; an account's mode or market-hours setting changes rarely, and a change
# reaches every process within these seconds.
_accounts = TimedCache(ttl=10.0)
_owners = TimedCache(ttl=3600.0)


def default_account_for(user) -> TradingAccount | None:
    """The user's default trading account (remembered in this process for a few seconds), or None."""
    account = _accounts.get(("default", user.pk))
    if account is None:
        account = TradingAccount.objects.filter(user_id=user.pk, is_default=True).first()
        if account is not None:
            _accounts.put(("default", user.pk), account)
    return account


def account_get_for_user(*, user, account_id: int) -> TradingAccount:
    """One of the user's trading accounts (remembered like the default); someone else's is a 404."""
    account = _accounts.get(account_id)
    if account is None or account.user_id != user.pk:
        account = TradingAccount.objects.filter(user_id=user.pk, pk=account_id).first()
        if account is None:
            raise NotFound(f"You have no trading account #{account_id}.", code="account_not_found")
        _accounts.put(account_id, account)
    return account


def account_owner_id(account_id: int) -> int | None:
    """The id of the user a trading account belongs to (an account never changes hands: kept a while)."""
    return _owners.get_or_set(
        account_id, lambda: TradingAccount.objects.filter(id=account_id).values_list("user_id", flat=True).first()
    )


def account_list_for_user(*, user) -> QuerySet[TradingAccount]:
    """The user's trading accounts, the default first."""
    return TradingAccount.objects.filter(user_id=user.pk).order_by("-is_default", "id")


def trading_account_cache_clear() -> None:
    _accounts.clear()
    _owners.clear()


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
