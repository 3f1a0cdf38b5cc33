"""Logging in, creating traders, JWT pairs."""

from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.db import transaction
from django.http import HttpRequest
from rest_framework_simplejwt.tokens import AccessToken

from ..errors import InvalidCredentials, TokenBlacklisted, TokenInvalid, TokenPasswordChanged
from ..models import SecurityEvent, User
from ..tokens import (
    family_of,
    password_unchanged,
    refresh_token_decode,
    refresh_token_for_login,
    token_families_log_out,
    token_family_revoke,
    token_pair,
)
from .lockout import login_attempt_admit, login_failure_record, login_success_record
from .security import security_event_record


def client_ip(request: HttpRequest) -> str:
    """The caller's address as the web server saw it (REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR", "")


def user_authenticate(*, request: HttpRequest, username: str, password: str) -> User:
    """Check credentials for the dashboard and the API alike; raises on failure.

    In order: the login limits and the lock (every attempt counts; a lock refuses even
    the right password), then the password, whose failures count (lockout.py).
    """
    ip = client_ip(request)
    login_attempt_admit(request=request, username=username, ip=ip)
    user = authenticate(request, username=username, password=password)
    if user is None:
        login_failure_record(request=request, username=username, ip=ip)
        raise InvalidCredentials()
    login_success_record(username=username)
    return user


def token_pair_issue(*, user: User) -> dict[str, str]:
    refresh = refresh_token_for_login(user)
    update_last_login(None, user)
    security_event_record(kind=SecurityEvent.Kind.LOGIN_SUCCEEDED, user=user, detail={"via": "jwt"})
    return token_pair(refresh)


def token_pair_refresh(*, raw_refresh: str) -> dict[str, str]:
    """Rotate: the old refresh token is blacklisted and a new pair is returned, expiring with the login.

    A token that was already rotated (or revoked) coming back means a copy is
    in someone else's hands: its whole family is revoked. A token issued before
    the user's password last changed is refused.
    """
    try:
        pair, user_id = _rotate(raw_refresh)
    except TokenBlacklisted as exc:
        if exc.payload:
            token_family_revoke(exc.payload)
        raise
    user = User.objects.filter(pk=user_id).first()
    security_event_record(kind=SecurityEvent.Kind.TOKEN_REFRESHED, user=user)
    return pair


@transaction.atomic
def _rotate(raw_refresh: str) -> tuple[dict[str, str], object]:
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    refresh = refresh_token_decode(raw_refresh)
    # Two refreshes racing with one token: the row lock lets exactly one rotate it.
    OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=refresh["jti"]).first()
    if BlacklistedToken.objects.filter(token__jti=refresh["jti"]).exists():
        raise TokenBlacklisted(payload=dict(refresh.payload))
    user = User.objects.filter(id=refresh["user_id"], is_active=True).first()
    if user is None:
        raise TokenInvalid("The account behind this token is disabled or gone.")
    if not password_unchanged(refresh.payload, user):
        raise TokenPasswordChanged()
    refresh.blacklist()
    refresh.set_jti()
    refresh.set_iat()  # and the same `exp`: rotating never makes a login last longer
    refresh.outstand()
    return token_pair(refresh), refresh["user_id"]


def token_revoke(*, raw_refresh: str, user: User | None, access: AccessToken | None = None) -> None:
    """Log out: every refresh token of the login is revoked, and its access tokens (and `access`'s) refused."""
    refresh = refresh_token_decode(raw_refresh)
    if user is not None and user.is_authenticated and str(refresh["user_id"]) != str(user.pk):
        raise TokenInvalid("That refresh token belongs to another account.")
    refresh.blacklist()
    token_family_revoke(refresh.payload)
    families = {family_of(refresh.payload)} | ({family_of(access.payload)} if access is not None else set())
    token_families_log_out(user_id=refresh["user_id"], families=families)
    owner = User.objects.filter(pk=refresh["user_id"]).first()
    security_event_record(kind=SecurityEvent.Kind.LOGOUT, user=owner, detail={"via": "jwt"})


@transaction.atomic
def trader_create_or_update(*, username: str, password: str, email: str = "") -> tuple[User, bool]:
    """Idempotent: the same arguments always leave the same user behind."""
    user, created = User.objects.select_for_update().get_or_create(username=username, defaults={"email": email})
    if created or not user.check_password(password):
        user.set_password(password)  # a new hash ends the user's tokens and sessions; the same password keeps them
    user.is_active = True
    if email:
        user.email = email
    user.save(update_fields=["password", "is_active", "email"])
    return user, created
