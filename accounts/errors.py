from core.errors import DomainError, RateLimited


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


class TooManyLoginAttempts(RateLimited):
    code = "too_many_login_attempts"
    default_message = "Too many login attempts; wait a minute before trying again."
