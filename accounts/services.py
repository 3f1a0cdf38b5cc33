"""Every write in accounts: logging in, creating traders, tokens."""

import logging

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.db import transaction
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from .errors import InvalidCredentials, TokenBlacklisted, TokenInvalid, TooManyLoginAttempts
from .models import User
from .tokens import refresh_token_decode

logger = logging.getLogger(__name__)


def _client_ip(group: str, request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _limited(request: HttpRequest, username: str, *, increment: bool) -> bool:
    """Failed logins are counted per username and per client address.

    `LOGIN_RATE_LIMIT` failures within the window lock both out until it ends.
    If the cache is down the check is skipped (logged): a cache outage must
    not lock every trader out of their account.
    """
    keys = [("login-user", lambda group, req: username.lower()), ("login-ip", _client_ip)]
    try:
        for group, key in keys:
            usage = get_usage(request, group=group, key=key, rate=settings.LOGIN_RATE_LIMIT, increment=increment)
            if not increment and usage and usage["count"] >= usage["limit"]:
                return True
    except Exception:
        logger.warning("login rate limiter unavailable (cache error); not enforcing it for this attempt")
    return False


def user_authenticate(*, request: HttpRequest, username: str, password: str) -> User:
    """Check credentials for the dashboard and the API alike; raises on failure."""
    if _limited(request, username, increment=False):
        raise TooManyLoginAttempts()
    user = authenticate(request, username=username, password=password)
    if user is None:
        _limited(request, username, increment=True)
        raise InvalidCredentials()
    return user


def token_pair_issue(*, user: User) -> dict[str, str]:
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = RefreshToken.for_user(user)
    update_last_login(None, user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


@transaction.atomic
def token_pair_refresh(*, raw_refresh: str) -> dict[str, str]:
    """Rotate: the old refresh token is blacklisted and a new pair is returned."""
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    refresh = refresh_token_decode(raw_refresh)
    # Two refreshes racing with one token: the row lock lets exactly one rotate it.
    OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=refresh["jti"]).first()
    if BlacklistedToken.objects.filter(token__jti=refresh["jti"]).exists():
        raise TokenBlacklisted()
    user = User.objects.filter(id=refresh["user_id"], is_active=True).first()
    if user is None:
        raise TokenInvalid("The account behind this token is disabled or gone.")
    refresh.blacklist()
    refresh.set_jti()
    refresh.set_exp()
    refresh.set_iat()
    refresh.outstand()
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def token_revoke(*, raw_refresh: str, user: User | None) -> None:
    refresh = refresh_token_decode(raw_refresh)
    if user is not None and user.is_authenticated and str(refresh["user_id"]) != str(user.pk):
        raise TokenInvalid("That refresh token belongs to another account.")
    refresh.blacklist()


@transaction.atomic
def trader_create_or_update(*, username: str, password: str, email: str = "") -> tuple[User, bool]:
    """Idempotent: the same arguments always leave the same user behind."""
    user, created = User.objects.select_for_update().get_or_create(username=username, defaults={"email": email})
    user.set_password(password)
    user.is_active = True
    if email:
        user.email = email
    user.save(update_fields=["password", "is_active", "email"])
    return user, created
