"""The trader's broker account under /api/v1/broker-account/. Secrets go in and never come out."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.chosen import request_account
from core.api import OwnerAction, StrictSerializer
from core.errors import NotFound
from core.schema import ERRORS

from . import services
from .models import BrokerAccount
from .network import ip_check


class BrokerAccountOutput(serializers.Serializer):
    broker = serializers.CharField()
    client_code = serializers.CharField()
    static_ip = serializers.IPAddressField(allow_null=True)
    status = serializers.CharField(help_text="new, connected or disconnected (log in again).")
    status_message = serializers.CharField(help_text="The broker's message when the session could not be renewed.")
    status_changed_at = serializers.DateTimeField(allow_null=True)
    session_day = serializers.DateField(allow_null=True)
    has_api_key = serializers.SerializerMethodField()
    has_pin = serializers.SerializerMethodField()
    has_totp_secret = serializers.SerializerMethodField()

    def get_has_api_key(self, obj) -> bool:
        return bool(obj.api_key)

    def get_has_pin(self, obj) -> bool:
        return bool(obj.pin)

    def get_has_totp_secret(self, obj) -> bool:
        return bool(obj.totp_secret)


def _mine(request) -> BrokerAccount:
    account = request_account(request)
    found = BrokerAccount.objects.filter(account=account).first() if account is not None else None
    if found is None:
        raise NotFound("No broker account is connected yet.", code="broker_account_not_found")
    return found


class BrokerAccountApi(APIView):
    owner_action = OwnerAction(what="change the broker credentials", key_scope="account")

    class InputSerializer(StrictSerializer):
        client_code = serializers.CharField(max_length=32)
        static_ip = serializers.IPAddressField(
            protocol="IPv4", required=False, allow_null=True, help_text="The IPv4 address registered with the broker."
        )
        api_key = serializers.CharField(max_length=200, required=False, allow_blank=True, write_only=True)
        pin = serializers.CharField(max_length=32, required=False, allow_blank=True, write_only=True)
        totp_secret = serializers.CharField(max_length=128, required=False, allow_blank=True, write_only=True)

    @extend_schema(
        operation_id="broker_account_get",
        tags=["brokers"],
        responses={200: BrokerAccountOutput, 404: ERRORS[404]},
        description="404 `broker_account_not_found` until credentials are saved.",
    )
    def get(self, request):
        return Response(BrokerAccountOutput(_mine(request)).data)

    @extend_schema(
        operation_id="broker_account_save",
        tags=["brokers"],
        request=InputSerializer,
        responses={200: BrokerAccountOutput, 404: ERRORS[404], 409: ERRORS[409], 422: ERRORS[422]},
        description="Save Angel One credentials (the first save needs all three: 422 `credentials_incomplete`). "
        "A client code another account on this platform holds is 409 `broker_client_code_taken`. "
        "API key, PIN and TOTP secret are write-only: they are "
        "never returned; leave one out (or blank) to keep what is stored.",
    )
    def put(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = request_account(request)
        if account is None:
            raise NotFound("Open a trading account first.", code="trading_account_not_found")
        saved = services.broker_account_save(account=account, **data.validated_data)
        return Response(BrokerAccountOutput(saved).data)


class BrokerAccountConnectApi(APIView):
    class OutputSerializer(BrokerAccountOutput):
        outgoing_ip = serializers.CharField(allow_null=True)
        ip_matches = serializers.BooleanField()
        ip_message = serializers.CharField()

    @extend_schema(
        operation_id="broker_account_connect",
        tags=["brokers"],
        request=None,
        responses={200: OutputSerializer, 404: ERRORS[404]},
        description="Log in now. The result is in `status` and `status_message`; the outgoing address is "
        "compared with the registered static IP.",
    )
    def post(self, request):
        connected = services.broker_account_connect(broker_account=_mine(request))
        check = ip_check(registered=connected.static_ip)
        body = {
            **BrokerAccountOutput(connected).data,
            "outgoing_ip": check.outgoing,
            "ip_matches": check.matches,
            "ip_message": check.message,
        }
        return Response(body)


class BrokerAccountDisconnectApi(APIView):
    @extend_schema(
        operation_id="broker_account_disconnect",
        tags=["brokers"],
        request=None,
        responses={200: BrokerAccountOutput, 404: ERRORS[404]},
    )
    def post(self, request):
        return Response(BrokerAccountOutput(services.broker_account_disconnect(broker_account=_mine(request))).data)
