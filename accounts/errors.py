from core.errors import DomainError, PermissionDenied, RateLimited


class InvalidCredentials(DomainError):
    status_code = 401
    code = "invalid_credentials"
    default_message = "Wrong username or password."


class TokenInvalid(DomainError):
    status_code = 401
    code = "token_invalid"
    default_message = "The token is not valid."


class TokenExpired(TokenInvalid):
    code = "token_expired"
    default_message = "The token has expired; log in again or refresh it."


class TokenBlacklisted(TokenInvalid):
    code = "token_blacklisted"
    default_message = "The token has been revoked (logged out or already rotated); log in again."

    def __init__(self, message: str | None = None, *, payload: dict | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.payload = payload or {}  # the revoked token's verified claims


class TokenPasswordChanged(TokenBlacklisted):
    default_message = "The password was changed after this token was issued; log in again."


class TokenLoggedOut(TokenBlacklisted):
    default_message = "This login was logged out; log in again."


class TooManyLoginAttempts(RateLimited):
    code = "too_many_login_attempts"
    default_message = "Too many login attempts; wait a minute before trying again."


# API keys. A refused key is 401 (send another key); a genuine key used from an address it
# does not allow, or for something its scopes do not cover, is 403 (this key may not do this).
class ApiKeyInvalid(DomainError):
    status_code = 401
    code = "api_key_invalid"
    default_message = "The API key is not valid."


class ApiKeyRevoked(ApiKeyInvalid):
    code = "api_key_revoked"
    default_message = "The API key has been revoked."


class ApiKeyExpired(ApiKeyInvalid):
    code = "api_key_expired"
    default_message = "The API key has expired; create a new one."


class ApiKeyIpNotAllowed(PermissionDenied):
    code = "api_key_ip_not_allowed"
    default_message = "The API key may not be used from this address."


class ApiKeyScope(PermissionDenied):
    code = "api_key_scope"
    default_message = "This API key needs the `trade` scope to change this."


class ApiKeyLiveNotAllowed(PermissionDenied):
    code = "api_key_live_not_allowed"
    default_message = "This API key is for paper trading only and the account is live: it may only read."


class ApiKeyNotAllowed(PermissionDenied):
    """An owner action no key scope allows (core.api.OwnerAction): managing keys, switching paper/live."""

    code = "api_key_not_allowed"
    default_message = "An API key may not do that: log in (JWT or the dashboard) to do it."


class AccountLocked(RateLimited):
    code = "account_locked"
    default_message = "Too many failed logins: this account is locked for a while."


# Choosing a trading account (X-Trading-Account, or the dashboard's switcher).
class AccountHeaderInvalid(DomainError):
    status_code = 400
    code = "invalid_account_header"
    default_message = "`X-Trading-Account` must be the id of one of your trading accounts (a whole number)."


class ApiKeyAccountNotAllowed(PermissionDenied):
    code = "api_key_account_not_allowed"
    default_message = "This API key may not act on that trading account."
