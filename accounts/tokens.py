"""simplejwt's tokens, with their failures sorted into our stable error codes, and token families.

A login starts a family: every refresh token rotated from it, and every access
token, carries the family id (`fam`, the jti of the login's token). When a
refresh token that was already rotated comes back, someone kept a copy: the
whole family is revoked, so the thief and the victim both have to log in again
(OAuth 2.0's advice for refresh token reuse).

A family ends when the login's first refresh token would have: rotation keeps
its expiry. Every token also carries a digest of the user's password hash
(simplejwt's CHECK_REVOKE_TOKEN claim), so any password change, by whatever
path, ends every token issued before it. Logging out puts the family on the
user's row (`revoked_token_families`) until its last access token expires.
Both are checked against the user row that authenticating loads anyway: no
extra query per request.
"""

from django.db import transaction
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from core import clock

from .errors import TokenBlacklisted, TokenExpired, TokenInvalid
from .models import User

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


def token_pair(refresh: RefreshToken) -> dict[str, str]:
    """The pair to hand out for `refresh`; the access token does not outlive the login either."""
    access = refresh.access_token
    access["exp"] = min(access["exp"], refresh["exp"])
    return {"access": str(access), "refresh": str(refresh)}


def family_of(payload: dict) -> str:
    return payload.get(FAMILY_CLAIM) or payload.get("jti", "")


def password_unchanged(payload: dict, user: User) -> bool:
    """Whether the token was issued for the user's current password (any change makes a new hash)."""
    return payload.get(api_settings.REVOKE_TOKEN_CLAIM) == get_md5_hash_password(user.password)


def access_token_logged_out(payload: dict, user: User) -> bool:
    return family_of(payload) in user.revoked_token_families


@transaction.atomic
def token_families_log_out(*, user_id, families: set[str]) -> None:
    """Refuse the access tokens of these families until the last of them has expired."""
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        return
    now = clock.now().timestamp()
    until = int(now + api_settings.ACCESS_TOKEN_LIFETIME.total_seconds()) + 1
    kept = {family: end for family, end in user.revoked_token_families.items() if end > now}
    user.revoked_token_families = {**kept, **dict.fromkeys(families, until)}
    user.save(update_fields=["revoked_token_families"])


def token_family_revoke(payload: dict) -> int:
    """Blacklist every outstanding refresh token of the family `payload` belongs to; returns how many."""
    family = family_of(payload)
    live = OutstandingToken.objects.filter(
        user_id=payload.get("user_id"), expires_at__gt=clock.now(), blacklistedtoken__isnull=True
    )
    members = [t for t in live if token_backend.decode(t.token, verify=False).get(FAMILY_CLAIM) == family]
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=t) for t in members], ignore_conflicts=True)
    return len(members)
