"""API conventions shared by every endpoint: errors, pagination, strict input."""

from collections.abc import Mapping
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.errors import DomainError

# DRF's own codes, renamed where ours says more; the rest pass through as they are
# (not_authenticated, authentication_failed, permission_denied, not_found,
# method_not_allowed, not_acceptable, unsupported_media_type).
_DRF_CODE_ALIASES = {
    "parse_error": "malformed_json",
    "throttled": "rate_limited",
    "token_not_valid": "token_invalid",
    "invalid": "validation_error",
}


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"field.sub": ["message", ...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, list) and detail and not all(isinstance(d, str) for d in detail):
        for index, value in enumerate(detail):
            out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        items = detail if isinstance(detail, list) else [detail]
        out[prefix or "non_field_errors"] = [str(item) for item in items]
    return out


def _leaf_codes(codes: Any) -> list[str]:
    if isinstance(codes, Mapping):
        return [c for value in codes.values() for c in _leaf_codes(value)]
    if isinstance(codes, list):
        return [c for value in codes for c in _leaf_codes(value)]
    return [str(codes)]


def _validation_response(exc: exceptions.ValidationError) -> tuple[str, str, dict[str, list[str]]]:
    fields = _flatten(exc.detail)
    codes = set(_leaf_codes(exc.get_codes()))
    code = "unknown_field" if codes == {"unknown_field"} else "validation_error"
    non_field = fields.get("non_field_errors")
    if non_field and len(fields) == 1:
        message = non_field[0]
    else:
        names = ", ".join(sorted(name for name in fields if name != "non_field_errors"))
        message = f"Check these fields: {names}." if names else "The request is not valid."
    return code, message, fields


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every 4xx from the API leaves through here, in one envelope."""
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        set_rollback()
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(max(1, int(retry_after)))} if retry_after is not None else {}
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code, headers=headers)
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("request_too_large", "The request body is too large."), status=413)
    if isinstance(exc, Ratelimited):
        exc = exceptions.Throttled(detail="Too many requests; slow down and try again shortly.")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: let Django log it and answer 500

    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        code, message, fields = _validation_response(exc)
    else:
        detail = exc.detail
        fields = {}
        if isinstance(detail, Mapping):  # simplejwt: {"detail", "code", "messages"}
            raw_code = str(detail.get("code", exc.default_code))
            message = str(detail.get("detail", exc.default_detail))
        else:
            raw_code = str(getattr(detail, "code", None) or exc.default_code)
            message = str(detail)
        if isinstance(exc, exceptions.ParseError):
            raw_code = "parse_error"
            message = f"The request body is not valid JSON: {message}"
        code = _DRF_CODE_ALIASES.get(raw_code, raw_code)
    set_rollback()
    return Response(error_body(code, message, fields), status=exc.status_code, headers=headers)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as exc:
            raise DomainError(str(exc.detail), code="invalid_page") from exc


class StrictSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not know.

    A misspelt optional field silently ignored is how a stop-loss goes missing;
    an integrator should hear about it at once.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [serializers.ErrorDetail("Unknown field.", code="unknown_field")] for name in unknown}
                )
        return super().to_internal_value(data)


def iso_utc(moment) -> str | None:
    """A datetime as the API writes every time: ISO 8601 in UTC, `Z` suffix (as DRF does)."""
    if moment is None:
        return None
    text = moment.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def decimal_string(value, places: int) -> str | None:
    """A Decimal as a string with exactly `places` decimals, rounded half up (as DRF renders a DecimalField)."""
    if value is None:
        return None
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"
