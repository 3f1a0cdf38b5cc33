"""Who is on a connection, and whether they still may be: the dashboard's session, a JWT or an API key.

A browser brings its session cookie (honoured only from an allowed Origin: a page elsewhere cannot borrow it);
a script sends `{"op": "auth", "token": ...}` first. Tokens never travel in the URL, where logs would keep
them. The credential is checked again every STREAM_RECHECK_SECONDS and whenever the platform says that a user
changed, so an expired or revoked token, a logout, a deactivated or locked-out user closes the socket.
"""

import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from rest_framework.exceptions import AuthenticationFailed

from accounts.authentication import JWTAuth
from accounts.models import ApiKey, TradingAccount
from accounts.selectors import default_account_for
from accounts.services import api_key_authenticate, lockout_check, lockout_locked_usernames
from accounts.tokens import access_token_decode, access_token_logged_out, password_unchanged
from core import clock
from core.errors import DomainError

from . import protocol

User = get_user_model()


@dataclass
class Credential:
    user_id: int
    username: str
    kind: str  # "session", "jwt" or "api_key"
    # The trading accounts a key may hear of; None: every account of the user (the session, a JWT).
    key_accounts: set[int] | None = None
    expires_at: float | None = None  # epoch seconds (a JWT's exp, an API key's expiry)
    session_key: str = ""
    token_payload: dict | None = None
    key_id: int | None = None


class Refused(Exception):
    def __init__(self, close: protocol.Close, message: str) -> None:
        super().__init__(message)
        self.close, self.message = close, message


def from_session(user, session_key: str) -> Credential:
    return Credential(user.pk, user.get_username(), "session", session_key=session_key)


def from_token(raw: str, *, ip: str) -> Credential:
    """The credential a token stands for; raises Refused."""
    raw = raw.strip()[:4096]
    if raw.startswith("tpk_"):
        return _from_api_key(raw, ip)
    try:
        token = access_token_decode(raw)
        user = JWTAuth().get_user(token)
    except (DomainError, AuthenticationFailed) as exc:
        raise Refused(protocol.AUTH_INVALID, _message(exc)) from exc
    _check_user(user)
    payload = dict(token.payload)
    return Credential(user.pk, user.get_username(), "jwt", expires_at=payload.get("exp"), token_payload=payload)


def _from_api_key(raw: str, ip: str) -> Credential:
    try:
        key = api_key_authenticate(raw_key=raw, ip=ip)  # every scope may read
    except DomainError as exc:
        raise Refused(protocol.AUTH_INVALID, exc.message) from exc
    _check_user(key.user)
    accounts = set(key.account_ids) if key.account_ids else _default_only(key.user)
    expires = key.expires_at.timestamp() if key.expires_at else None
    return Credential(
        key.user_id, key.user.get_username(), "api_key", key_accounts=accounts, expires_at=expires, key_id=key.pk
    )


def recheck(credentials: list[Credential]) -> list[protocol.Close | None]:
    """Why each connection must close now (None: it may stay), read afresh from the database: a handful of
    queries for all of them, however many connections share a user."""
    now = time.time()
    users = User.objects.in_bulk({c.user_id for c in credentials})
    locked = lockout_locked_usernames(usernames={u.get_username() for u in users.values()})
    sessions = {c.session_key for c in credentials if c.kind == "session"}
    alive = set(
        Session.objects.filter(session_key__in=sessions, expire_date__gt=clock.now()).values_list(
            "session_key", flat=True
        )
    )
    keys = {c.key_id for c in credentials if c.kind == "api_key"}
    revoked = set(ApiKey.objects.filter(pk__in=keys, revoked_at__isnull=False).values_list("pk", flat=True))
    return [_verdict(c, users.get(c.user_id), now, locked, alive, revoked) for c in credentials]


def _verdict(credential: Credential, user, now: float, locked, alive, revoked) -> protocol.Close | None:
    if credential.expires_at is not None and credential.expires_at <= now:
        return protocol.TOKEN_EXPIRED
    if user is None or not user.is_active:
        return protocol.USER_INACTIVE
    if user.get_username() in locked:
        return protocol.USER_LOCKED
    if credential.kind == "session" and credential.session_key not in alive:
        return protocol.CREDENTIAL_REVOKED
    if credential.kind == "api_key" and credential.key_id in revoked:
        return protocol.CREDENTIAL_REVOKED
    if credential.kind == "jwt":
        return _jwt_revoked(credential, user)
    return None


def _jwt_revoked(credential: Credential, user) -> protocol.Close | None:
    """The token's claims against the user row: a password change or a logout since it was issued."""
    payload = credential.token_payload or {}
    if not password_unchanged(payload, user) or access_token_logged_out(payload, user):
        return protocol.CREDENTIAL_REVOKED
    return None


def _check_user(user) -> None:
    if not user.is_active:
        raise Refused(protocol.USER_INACTIVE, "This user is deactivated.")
    try:
        lockout_check(username=user.get_username())
    except DomainError as exc:
        raise Refused(protocol.USER_LOCKED, exc.message) from exc


def may_hear(credential: Credential, account_id: int | None) -> bool:
    """Whether an event about `account_id` (None: about the user) is for this connection."""
    return credential.key_accounts is None or account_id is None or account_id in credential.key_accounts


def account_allowed(credential: Credential, account_id: int) -> bool:
    """Whether a topic of one trading account (`orders:<id>`) is this connection's to hear."""
    owned = TradingAccount.objects.filter(pk=account_id, user_id=credential.user_id).exists()
    return owned and may_hear(credential, account_id)


def _default_only(user) -> set[int]:
    account = default_account_for(user)
    return {account.pk} if account else set()


def _message(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    detail = getattr(exc, "detail", None)
    if isinstance(detail, dict):
        return str(detail.get("detail", "The token is not valid."))
    return str(detail or "The token is not valid.")
