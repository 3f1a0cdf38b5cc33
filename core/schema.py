"""OpenAPI schema conventions: the error envelope documented on every operation."""

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


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


class AutoSchema(SpectacularAutoSchema):
    """Documents the error envelope on every operation, not only where a view remembers to."""

    def _get_response_bodies(self, direction: str = "response") -> dict:
        bodies = super()._get_response_bodies(direction)
        errors = {"400": _error("Invalid input (validation_error, unknown_field, malformed_json, ...).")}
        if self.get_auth():
            errors["401"] = _error("Missing, invalid or expired credentials.")
            errors["403"] = _error("Authenticated but not allowed.")
        if "{" in self.path:
            errors["404"] = _error("No such object, or it belongs to someone else.")
        errors["429"] = _error("Rate limited; see Retry-After.")
        for status, response in errors.items():
            if status not in bodies:
                bodies[status] = self._get_response_for_code(response, status)
        return bodies

    def get_serializer_name(self, serializer, direction) -> str:
        # Views nest their serializers (OrderCreateApi.InputSerializer): name the
        # component after the view, so "Input" and "Output" never collide.
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer, inner = qualname.split(".")[-2:]
            return outer.removesuffix("Api") + inner.removesuffix("Serializer")
        return super().get_serializer_name(serializer, direction)
