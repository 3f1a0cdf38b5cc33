"""GET/PUT /api/v1/notifications/preferences/: which events a trader hears about, and where."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import OwnerAction, StrictSerializer, validated
from core.schema import ERRORS

from .services import CHANNELS, EVENTS, preferences_get, preferences_update


class PreferencesOutput(serializers.Serializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=list(EVENTS)))
    channels = serializers.ListField(child=serializers.ChoiceField(choices=CHANNELS))
    email = serializers.CharField(help_text="Empty: the account's address.")
    webhook_url = serializers.CharField()
    telegram_chat_id = serializers.CharField()
    has_webhook_secret = serializers.BooleanField()
    in_app_fills = serializers.BooleanField(help_text="A notice on the dashboard when an order fills (on by default).")
    webhook_secret = serializers.CharField(
        required=False, help_text="Only in the answer that made it (shown once): verify `X-Signature: sha256=<hmac>`."
    )


def _output(pref, secret: str | None = None) -> dict:
    data = {
        "events": pref.events,
        "channels": pref.channels,
        "email": pref.email,
        "webhook_url": pref.webhook_url,
        "telegram_chat_id": pref.telegram_chat_id,
        "has_webhook_secret": bool(pref.webhook_secret),
        "in_app_fills": pref.in_app_fills,
    }
    if secret:
        data["webhook_secret"] = secret
    return PreferencesOutput(data).data


class PreferencesGetApi(APIView):
    @extend_schema(
        operation_id="notification_preferences",
        tags=["notifications"],
        responses={200: PreferencesOutput},
        description="The trader's notification choices. The webhook secret is never shown again.",
    )
    def get(self, request):
        return Response(_output(preferences_get(user=request.user)))


class PreferencesUpdateApi(APIView):
    owner_action = OwnerAction(what="change where notifications go", key_scope="account")

    class InputSerializer(StrictSerializer):
        events = serializers.ListField(child=serializers.ChoiceField(choices=list(EVENTS)), max_length=len(EVENTS))
        channels = serializers.ListField(child=serializers.ChoiceField(choices=CHANNELS), max_length=len(CHANNELS))
        # Left out: empty (the request replaces every choice).
        # Addresses are checked by the service (422 `invalid_preferences`): what the schema can say of an
        # e-mail address or URL is looser than what can be delivered to.
        email = serializers.CharField(required=False, allow_blank=True, max_length=254)
        webhook_url = serializers.CharField(required=False, allow_blank=True, max_length=500, help_text="http(s) URL.")
        telegram_chat_id = serializers.RegexField(r"^-?[0-9]{1,20}$", required=False, allow_blank=True, max_length=32)
        new_webhook_secret = serializers.BooleanField(
            required=False, default=False, help_text="Make a new signing secret (the answer shows it once)."
        )
        in_app_fills = serializers.BooleanField(
            required=False, default=True, help_text="A notice on the dashboard when an order fills."
        )

    @extend_schema(
        operation_id="notification_preferences_update",
        tags=["notifications"],
        request=InputSerializer,
        responses={200: PreferencesOutput, 422: ERRORS[422]},
        description="Replace the trader's choices. 422 `invalid_preferences`: a chosen channel without its "
        "address, or an address that cannot be delivered to. "
        "The first webhook URL, or `new_webhook_secret`, makes a signing secret returned once as `webhook_secret`.",
    )
    def put(self, request):
        data = validated(self.InputSerializer, request.data)
        pref, secret = preferences_update(user=request.user, **data)
        return Response(_output(pref, secret))
