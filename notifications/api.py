"""The trader's notifications in the API: the unread notices (GET /api/v1/notifications/, POST .../read/) and
which events the trading account's owner hears about, and where (GET/PUT /api/v1/notifications/preferences/).
Each acts on the chosen account (`X-Trading-Account`; absent: the default one)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.chosen import request_account
from core.api import IntegerInputField, OwnerAction, StrictSerializer, validated
from core.schema import ERRORS

from .models import Notification
from .services import (
    CHANNELS,
    EVENTS,
    notifications_mark_read,
    notifications_unread_for,
    preferences_get,
    preferences_update,
)


class NotificationListApi(ListAPIView):
    class OutputSerializer(serializers.ModelSerializer):
        order = serializers.IntegerField(source="order_id", allow_null=True, required=False)

        class Meta:
            model = Notification
            fields = ["id", "level", "code", "message", "order", "created_at"]

    serializer_class = OutputSerializer

    @extend_schema(
        operation_id="notifications",
        tags=["orders"],
        description="Unread notices of the chosen account, and those about you rather than an account (a login "
        "lock-out), newest first.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return notifications_unread_for(user=self.request.user, account=request_account(self.request))


class NotificationReadApi(APIView):
    class InputSerializer(StrictSerializer):
        ids = serializers.ListField(child=IntegerInputField(min_value=1), required=False, max_length=500)

    class OutputSerializer(serializers.Serializer):
        read = serializers.IntegerField()

    @extend_schema(
        operation_id="notifications_read",
        tags=["orders"],
        request=InputSerializer,
        responses={200: OutputSerializer},
        description="Dismiss the given notices (all unread ones the chosen account shows without `ids`).",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = data.validated_data.get("ids")
        read = notifications_mark_read(user=request.user, account=request_account(request), notification_ids=ids)
        return Response({"read": read})


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
        description="The chosen account's notification choices. The webhook secret is never shown again.",
    )
    def get(self, request):
        return Response(_output(preferences_get(user=request.user, account=request_account(request))))


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
        description="Replace the chosen account's choices. 422 `invalid_preferences`: a chosen channel without its "
        "address, or an address that cannot be delivered to. "
        "The first webhook URL, or `new_webhook_secret`, makes a signing secret returned once as `webhook_secret`.",
    )
    def put(self, request):
        data = validated(self.InputSerializer, request.data)
        pref, secret = preferences_update(user=request.user, account=request_account(request), **data)
        return Response(_output(pref, secret))
