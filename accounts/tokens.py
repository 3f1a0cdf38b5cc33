"""simplejwt's tokens, with their failures sorted into our stable error codes."""

from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from .errors import TokenBlacklisted, TokenExpired, TokenInvalid


class _Blacklisted(TokenError):
    pass


class CheckedRefreshToken(RefreshToken):
    def check_blacklist(self) -> None:
        try:
            super().check_blacklist()
        except TokenError as exc:
            raise _Blacklisted(str(exc)) from exc


def _decode(token_class, raw: str):
    if not isinstance(raw, str) or not raw:
        raise TokenInvalid("A token is required.", field="refresh")
    try:
        return token_class(raw)
    except ExpiredTokenError as exc:
        raise TokenExpired() from exc
    except _Blacklisted as exc:
        raise TokenBlacklisted() from exc
    except TokenError as exc:
        raise TokenInvalid(f"The token is not valid: {exc}.") from exc


def refresh_token_decode(raw: str) -> CheckedRefreshToken:
    return _decode(CheckedRefreshToken, raw)


def access_token_decode(raw: str) -> AccessToken:
    return _decode(AccessToken, raw)
