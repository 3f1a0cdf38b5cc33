"""Angel One's failures as a few typed exceptions, and how they map onto brokers.base.

Every failure says whether the request may have reached the broker
(`maybe_sent`): a write that may have reached it is ambiguous and must be
reconciled, one that certainly did not may be sent again later.
"""

from ..base import BrokerAmbiguous, BrokerError, BrokerRejected, BrokerUnavailable


class AngelError(Exception):
    code = "broker_error"
    retryable = False  # for reads: worth another try after a pause
    broker_health_failure = False  # counts towards opening the circuit breaker
    maybe_sent = False

    def __init__(self, message: str, *, broker_code: str = "", code: str | None = None, maybe_sent=None) -> None:
        super().__init__(message)
        self.message = message
        self.broker_code = broker_code
        if code:
            self.code = code
        if maybe_sent is not None:
            self.maybe_sent = maybe_sent

    def __str__(self) -> str:
        return f"{self.broker_code}: {self.message}" if self.broker_code else self.message


class AuthError(AngelError):
    """Wrong credentials, blocked client: a person has to act."""

    code = "broker_auth_failed"


class TokenInvalid(AuthError):
    """The session token is invalid or expired (AG8001/AG8002/AG8003): renew the session and try again."""

    code = "broker_token_invalid"


class RefreshInvalid(AuthError):
    """The refresh token is invalid or expired (AB8050/AB8051): log in again."""

    code = "broker_refresh_invalid"


class SessionExpired(AuthError):
    """The session cannot be renewed (wrong PIN, TOTP secret changed): the account is disconnected."""

    code = "broker_session_expired"


class InputError(AngelError):
    code = "broker_invalid_input"


class OrderRejected(AngelError):
    code = "broker_rejected"


class RateLimited(AngelError):
    code = "rate_limited"
    retryable = True


class NetworkError(AngelError):
    code = "broker_network_error"
    retryable = True
    broker_health_failure = True


class BrokerInternal(AngelError):
    code = "broker_internal_error"
    retryable = True
    broker_health_failure = True
    maybe_sent = True


# Error codes from the contract -> (exception, the platform's stable code).
ERROR_CODES: dict[str, tuple[type[AngelError], str]] = {
    "AG8001": (TokenInvalid, "broker_token_invalid"),
    "AG8002": (TokenInvalid, "broker_token_expired"),
    "AG8003": (TokenInvalid, "broker_token_missing"),
    "AB8050": (RefreshInvalid, "broker_refresh_invalid"),
    "AB8051": (RefreshInvalid, "broker_refresh_expired"),
    "AB1000": (AuthError, "broker_wrong_credentials"),
    "AB1050": (AuthError, "broker_wrong_totp"),
    "AB1006": (OrderRejected, "broker_client_blocked"),
    "AB1008": (InputError, "broker_invalid_variety"),
    "AB1009": (InputError, "symbol_not_found"),
    "AB1012": (InputError, "broker_invalid_product"),
    "AB1013": (InputError, "order_not_found"),
    "AB4008": (InputError, "broker_ordertag_too_long"),
    "AB1004": (BrokerInternal, "broker_internal_error"),
    "AB2000": (BrokerInternal, "broker_error_unspecified"),
    "AB2001": (BrokerInternal, "broker_internal_error"),
}


def error_for_code(broker_code: str, message: str) -> AngelError:
    cls, code = ERROR_CODES.get(broker_code, (OrderRejected, "broker_rejected"))
    return cls(message or "The broker refused the request.", broker_code=broker_code, code=code)


def as_broker_error(exc: AngelError, *, write: bool) -> BrokerError:
    """What the caller of brokers.base may safely do next: give up, try later, or reconcile."""
    message = str(exc)
    if isinstance(exc, (InputError, OrderRejected, AuthError)):
        return BrokerRejected(message, code=exc.code)
    if write and exc.maybe_sent:
        return BrokerAmbiguous(message, code=exc.code)
    code = "rate_limited" if isinstance(exc, RateLimited) else exc.code
    return BrokerUnavailable(message, code=code)
