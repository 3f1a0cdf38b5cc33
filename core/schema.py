"""OpenAPI schema conventions: the error envelope on every operation, strict inputs, routed views."""

from drf_spectacular.generators import SchemaGenerator as SpectacularSchemaGenerator
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `insufficient_funds`.")
    message = serializers.CharField(help_text="A sentence for humans saying what to change.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per-field messages; empty when the error is not about one field.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


# Documented on every operation; views add the others they can answer (404, 409, 413, 422, 503).
_ALWAYS = {
    "400": "Invalid input (validation_error, unknown_field, malformed_json, invalid_characters, "
    "invalid_account_header, ...).",
    "401": "Missing, invalid or expired credentials (not_authenticated, token_invalid, invalid_credentials, "
    "api_key_invalid, api_key_revoked, api_key_expired, ...).",
    "403": "Authenticated but not allowed (permission_denied, csrf_failed; with an API key: api_key_scope, "
    "api_key_live_not_allowed, api_key_ip_not_allowed, api_key_not_allowed, api_key_account_not_allowed).",
    "413": "The request body is too large (request_too_large).",
    "429": "Rate limited; see Retry-After (rate_limited, too_many_login_attempts, account_locked).",
}
NO_NUL = "^[^\\u0000]*$"
ERRORS = {
    404: error_response("No such object, or it belongs to someone else."),
    409: error_response("The request conflicts with the object's current state."),
    422: error_response("Well-formed, but a trading rule refuses it; `code` says which."),
    503: error_response("A service the request needs is unavailable; try again shortly."),
}


class AutoSchema(SpectacularAutoSchema):
    """Documents the error envelope on every operation, and strict inputs as closed objects."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        action = getattr(self.view, "owner_action", None)
        if operation is not None and action is not None and action.applies_to(self.method):
            operation["description"] = f"{operation.get('description', '')} {action.describe()}".strip()
        return operation

    def get_override_parameters(self):
        # A permission class may document what it reads (the X-Trading-Account header): core knows no app.
        extra = [p for permission in self.view.get_permissions() for p in getattr(permission, "schema_parameters", ())]
        return super().get_override_parameters() + extra

    def _reads_parameter_that_may_404(self) -> bool:
        permissions = self.view.get_permissions()
        return any(getattr(permission, "schema_parameters", ()) for permission in permissions)

    def _get_response_bodies(self, direction: str = "response") -> dict:
        bodies = super()._get_response_bodies(direction)
        errors = {status: error_response(text) for status, text in _ALWAYS.items()}
        if "{" in self.path or self._reads_parameter_that_may_404():
            errors["404"] = ERRORS[404]
        for status, response in errors.items():
            if status not in bodies:
                bodies[status] = self._get_response_for_code(response, status)
        return bodies

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and getattr(serializer, "refuses_unknown_fields", False):
            schema["additionalProperties"] = False  # StrictSerializer answers unknown fields with a 400
            if getattr(serializer, "min_fields", 0):
                schema["minProperties"] = serializer.min_fields
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if isinstance(field, serializers.CharField) and schema.get("type") == "string" and not field.read_only:
            schema.setdefault("pattern", NO_NUL)  # DRF's CharField refuses NUL characters (400)

    def _get_request_for_media_type(self, serializer, direction="request"):
        schema, required = super()._get_request_for_media_type(serializer, direction)
        # A PATCH body is partial, but one with `min_fields` is still required: an empty one is a 400.
        return schema, required or bool(getattr(serializer, "min_fields", 0))

    def get_serializer_name(self, serializer, direction) -> str:
        # Views nest their serializers (OrderCreateApi.InputSerializer): name the
        # component after the view, so "Input" and "Output" never collide.
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer, inner = qualname.split(".")[-2:]
            return outer.removesuffix("Api") + inner.removesuffix("Serializer")
        return super().get_serializer_name(serializer, direction)


class SchemaGenerator(SpectacularSchemaGenerator):
    """Documents a path joined by core.routing.route from the view that serves each method."""

    def create_view(self, callback, method, request=None):
        operations = getattr(callback, "operations", None)
        return super().create_view(operations[method] if operations else callback, method, request)
