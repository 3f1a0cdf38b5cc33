"""API conventions shared by every endpoint: errors, pagination, strict input."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django_ratelimit.exceptions import Ratelimited
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.errors import DomainError, InvalidInput
from core.inputs import (
    DECIMAL_PLACES,
    INT_MAX,
    WHOLE_DIGITS,
    InputRefused,
    ascii_text,
    date_bounded,
    decimal_parse,
    digits_only,
)

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
        # A field name is the caller's own (a JSON key): it may hold a NUL, which the message never does.
        names = ", ".join(sorted(name.replace("\x00", "") for name in fields if name != "non_field_errors"))
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


@dataclass(frozen=True)
class OwnerAction:
    """Declared on an API view as `owner_action = OwnerAction(...)`: what it changes is the owner's to change.

    Broker credentials, paper or live, API keys, where notifications go, the password: who
    the account is and how it is reached. A login (JWT, the dashboard's session) may; an API
    key may not, unless the view names a `key_scope` the key holds. The accounts app checks
    the declaration for every API key request in one place (ApiKeyAuth), and the schema
    documents it; a test walks every operation, so a new one is declared one way or the other.
    """

    what: str  # "switch the account between paper and live": completes the refusal's sentence
    key_scope: str | None = None  # the API key scope that allows it; None: no key may
    reads: bool = False  # reading is the owner's too (the list of API keys)

    def applies_to(self, method: str) -> bool:
        return self.reads or method.upper() not in SAFE_METHODS

    def describe(self) -> str:
        if self.key_scope is None:
            return f"Owner action: an API key may not {self.what} (403 `api_key_not_allowed`); log in to do it."
        return f"Owner action: an API key needs the `{self.key_scope}` scope to {self.what} (403 `api_key_scope`)."


class Pagination(PageNumberPagination):
    """`?page=N&page_size=M` (at most 500). A page past the last one is empty, not an error."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        # Checked before Django's paginator, which reads "३" as page 3.
        number = request.query_params.get(self.page_query_param)
        if number is not None and number not in self.last_page_strings and not digits_only(number):
            raise DomainError("`page` must be a whole number from 1.", code="invalid_page", field=self.page_query_param)
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as exc:
            if int(number or 0) < 1:
                raise DomainError(
                    "`page` must be a whole number from 1.", code="invalid_page", field=self.page_query_param
                ) from exc
            self.page = self.django_paginator_class([], 1).page(1)  # beyond the end: an empty page
            self.page.paginator.count = self.django_paginator_class(queryset, 1).count
            self.request = request
            return []

    def get_page_size(self, request):
        size = request.query_params.get(self.page_size_query_param)
        if size is not None and (not digits_only(size) or not 1 <= int(size) <= self.max_page_size):
            raise DomainError(
                f"`page_size` must be a whole number from 1 to {self.max_page_size}.",
                code="invalid_page_size",
                field=self.page_size_query_param,
            )
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {self.page_query_param: {"minimum": 1}, self.page_size_query_param: {"minimum": 1, "maximum": 500}}
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters


class StrictSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not know.

    A misspelt optional field silently ignored is how a stop-loss goes missing;
    an integrator should hear about it at once. The schema documents it as a
    closed object (additionalProperties: false); `min_fields` documents and
    enforces that at least that many fields are sent.
    """

    refuses_unknown_fields = True
    min_fields = 0

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [serializers.ErrorDetail("Unknown field.", code="unknown_field")] for name in unknown}
                )
            if len(data) < self.min_fields:
                names = ", ".join(self.fields)
                message = serializers.ErrorDetail(f"Send at least {self.min_fields} of {names}.", code="no_changes")
                raise serializers.ValidationError({"non_field_errors": [message]})
        return super().to_internal_value(data)


class CommaSeparatedListField(serializers.ListField):
    """A list from the query string: repeated (`?status=OPEN&status=FILLED`) or comma-separated (`?status=A,B`)."""

    def __init__(self, *, too_many_code: str = "too_many_items", **kwargs) -> None:
        self.too_many_code = too_many_code
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [data]
        parts = [part.strip() for value in data for part in str(value).split(",") if part.strip()]
        if self.max_length is not None and len(parts) > self.max_length:
            raise InvalidInput(
                f"At most {self.max_length} per request; got {len(parts)}.",
                code=self.too_many_code,
                field=self.field_name,
            )
        return super().to_internal_value(parts)


def _refused(exc: InputRefused) -> serializers.ValidationError:
    return serializers.ValidationError(exc.message, code=exc.code)


class _AsciiInput:
    """Refuses text with digits other than 0-9 before the field reads it: Python's int() reads "३००" as 300,
    and Django's date parsing "२०२४-01-01" as 2024-01-01."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                ascii_text(data)
            except InputRefused as exc:
                raise _refused(exc) from None
        return super().to_internal_value(data)


class IntegerInputField(_AsciiInput, serializers.IntegerField):
    """A whole number (JSON number or ASCII digits), within 64 bits unless the field sets narrower bounds."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("min_value", -INT_MAX)
        kwargs.setdefault("max_value", INT_MAX)
        super().__init__(**kwargs)


# The schema states the years core.inputs takes (JSON Schema has no minimum for a date).
_YEARS = r"^(19[0-9]{2}|20[0-9]{2}|2100)-"


@extend_schema_field({"type": "string", "format": "date", "pattern": _YEARS})
class DateInputField(_AsciiInput, serializers.DateField):
    """A date between core.inputs.DATE_MIN and DATE_MAX."""

    def to_internal_value(self, value):
        try:
            return date_bounded(super().to_internal_value(value))
        except InputRefused as exc:
            raise _refused(exc) from None


@extend_schema_field({"type": "string", "format": "date-time", "pattern": _YEARS})
class DateTimeInputField(_AsciiInput, serializers.DateTimeField):
    """A date-time between core.inputs.DATE_MIN and DATE_MAX, checked before it is moved to another time zone
    (year 1 in IST is before year 1 in UTC: an overflow)."""

    def enforce_timezone(self, value):
        try:
            date_bounded(value)
        except InputRefused as exc:
            raise _refused(exc) from None
        return super().enforce_timezone(value)


# A positive decimal, as a string or a JSON number: both arrive exact (core.parsers reads numbers as Decimal).
_POSITIVE_DECIMAL_SCHEMA = {
    "oneOf": [
        # Above zero, below a billion: "812", "812.35", "0.05"; not "0", "0.00" or "012".
        {"type": "string", "pattern": r"^(?:[1-9]\d{0,8}(?:\.\d{1,8})?|0\.\d{0,7}[1-9]\d{0,7})$", "example": "812.35"},
        {"type": "number", "minimum": 1e-8, "maximum": 1e9, "exclusiveMaximum": True},
    ]
}


@extend_schema_field(_POSITIVE_DECIMAL_SCHEMA)
class DecimalInputField(serializers.DecimalField):
    """A price or amount as sent: exact, finite, at most WHOLE_DIGITS digits before the point and DECIMAL_PLACES
    after it (the instrument's tick, the funds and the rules decide what is valid within that)."""

    def __init__(self, *, whole_digits: int = WHOLE_DIGITS, places: int = DECIMAL_PLACES, **kwargs) -> None:
        self.whole_digits, self.places = whole_digits, places
        super().__init__(max_digits=None, decimal_places=None, **kwargs)

    def to_internal_value(self, data):
        try:
            return decimal_parse(data, whole_digits=self.whole_digits, places=self.places)
        except InputRefused as exc:
            if exc.code == "invalid_number":
                self.fail("invalid")
            raise _refused(exc) from None


@extend_schema_field({"type": "string", "format": "decimal", "pattern": r"^-?\d+\.\d{2,}$", "example": "812.35"})
class PriceField(serializers.Field):
    """A price written at its instrument's precision: "812.35" for a 0.05 tick, "83.1250" for 0.0025.

    `instrument` is the dotted path from the object to what holds `price_places` (the instrument);
    "" when the object holds it itself.
    """

    def __init__(self, *, instrument: str = "instrument", **kwargs) -> None:
        self.instrument_path = [name for name in instrument.split(".") if name]
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        value = super().get_attribute(instance)
        instrument = instance
        for name in self.instrument_path:
            instrument = getattr(instrument, name)
        return None if value is None else decimal_string(value, instrument.price_places)

    def to_representation(self, value):
        return value


def _first_detail(details):
    """The first message of a field's errors, also when a list field nests them by item ({0: [...]})."""
    while isinstance(details, Mapping | list) and details:
        details = next(iter(details.values())) if isinstance(details, Mapping) else details[0]
    return details or None


def validated(serializer_class, data, *, codes: dict | None = None, **kwargs) -> dict:
    """Validate query-string or body data with a (Filter/Input) serializer class; return validated_data.

    `codes` gives a failing field its own stable code, so clients can branch on
    it: {"interval": "invalid_interval"} for any failure of that field, or
    {("quantity", "min_value"): "invalid_quantity"} for one kind of failure.
    Other failures are the usual validation_error.
    """
    serializer = serializer_class(data=data, **kwargs)
    if not serializer.is_valid():
        for field, details in serializer.errors.items():
            first = _first_detail(details)
            kind = getattr(first, "code", None)
            code = (codes or {}).get((field, kind)) or (codes or {}).get(field)
            if code:
                raise InvalidInput(f"`{field}`: {first}", code=code, field=field)
        raise serializers.ValidationError(serializer.errors)
    return serializer.validated_data


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
