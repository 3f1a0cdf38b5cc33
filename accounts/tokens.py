"""simplejwt's tokens, with their failures sorted into our stable error codes, and token families.

A login starts a family: every refresh token rotated from it carries the
family id (`fam`, the jti of the login's token). When a refresh token that was
already rotated comes back, someone kept a copy: the whole family is revoked,
so the thief and the victim both have to log in again (OAuth 2.0's advice for
refresh token reuse).
"""

from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from core import clock

from .errors import TokenBlacklisted, TokenExpired, TokenInvalid

FAMILY_CLAIM = "fam"


class _Blacklisted(TokenError):
    def __init__(self, message: str, payload: dict) -> None:
        super().__init__(message)
        self.payload = payload  # signature and expiry were verified before the blacklist was checked


class CheckedRefreshToken(RefreshToken):
    def check_blacklist(self) -> None:
        try:
            super().check_blacklist()
        except TokenError as exc:
            raise _Blacklisted(str(exc), self.payload) from exc


def _decode(token_class, raw: str):
    if not isinstance(raw, str) or not raw:
        raise TokenInvalid("A token is required.", field="refresh")
    try:
        return token_class(raw)
    except ExpiredTokenError as exc:
        raise TokenExpired() from exc
    except _Blacklisted as exc:
        raise TokenBlacklisted(payload=exc.payload) from exc
    except TokenError as exc:
        raise TokenInvalid(f"The token is not valid: {exc}.") from exc


def refresh_token_decode(raw: str) -> CheckedRefreshToken:
    return _decode(CheckedRefreshToken, raw)


def access_token_decode(raw: str) -> AccessToken:
    return _decode(AccessToken, raw)


def refresh_token_for_login(user) -> RefreshToken:
    """A new refresh token starting a family of its own."""
    refresh = RefreshToken.for_user(user)
    refresh[FAMILY_CLAIM] = refresh["jti"]
    return refresh


def token_family_revoke(payload: dict) -> int:
    """Blacklist every outstanding refresh token of the family `payload` belongs to; returns how many."""
    family = payload.get(FAMILY_CLAIM, payload.get("jti"))
    live = OutstandingToken.objects.filter(
        user_id=payload.get("user_id"), expires_at__gt=clock.now(), blacklistedtoken__isnull=True
    )
    members = [t for t in live if token_backend.decode(t.token, verify=False).get(FAMILY_CLAIM) == family]
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=t) for t in members], ignore_conflicts=True)
    return len(members)
