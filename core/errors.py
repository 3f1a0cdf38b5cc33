"""The one hierarchy of domain errors.

Services raise these; the API's exception handler turns them into the error
envelope and the dashboard turns them into form errors. `code` is stable and
machine-readable: clients may branch on it, so never rename one.
"""

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "domain_error"
    default_message = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        # `field` names the one input the trader should change; the dashboard
        # shows the message beside it.
        self.fields = fields or ({field: [self.message]} if field else {})
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class InvalidInput(DomainError):
    code = "invalid_input"
    default_message = "The input is not valid."


class RuleViolation(DomainError):
    """Well-formed input that a business rule refuses (funds, risk, market hours)."""

    status_code = 422
    code = "rule_violation"
    default_message = "The request breaks a trading rule."


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    default_message = "Not found."


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    default_message = "The request conflicts with the current state."


class PermissionDenied(DomainError):
    status_code = 403
    code = "permission_denied"
    default_message = "You are not allowed to do that."


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"
    default_message = "CSRF check failed: send the X-CSRFToken header, or use a JWT."


class RateLimited(DomainError):
    status_code = 429
    code = "rate_limited"
    default_message = "Too many requests; slow down and try again shortly."

    def __init__(self, message: str | None = None, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after  # seconds; sent as the Retry-After header


class ServiceUnavailable(DomainError):
    status_code = 503
    code = "service_unavailable"
    default_message = "A service this request needs is unavailable; try again shortly."
