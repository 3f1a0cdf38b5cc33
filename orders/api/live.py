"""Live trading in the API: the account's mode, its broker's health, external orders."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.chosen import request_account
from brokers.gate import broker_health
from core.api import OwnerAction, StrictSerializer
from core.errors import NotFound
from core.schema import ERRORS

from .. import selectors, services
from ..models import ExternalOrder


def _account(request):
    account = request_account(request)
    if account is None:
        raise NotFound("You have no trading account yet.", code="no_trading_account")
    return account


class AccountModeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        mode = serializers.CharField()
        broker = serializers.CharField(help_text="The broker live orders go to (paper: the simulated exchange).")
        breaker = serializers.CharField(help_text="closed, open or half-open")
        broker_down = serializers.BooleanField(help_text="New live orders are refused (broker_unavailable).")
        session = serializers.CharField(help_text="new, connected, disconnected (log in again), or empty.")
        session_message = serializers.CharField()

    @staticmethod
    def body(account) -> dict:
        health = broker_health(account)
        return {
            "mode": account.mode,
            "broker": health.broker,
            "breaker": health.breaker,
            "broker_down": health.down,
            "session": health.session,
            "session_message": health.message,
        }

    @extend_schema(operation_id="account_mode", tags=["orders"], responses={200: OutputSerializer, 404: ERRORS[404]})
    def get(self, request):
        return Response(self.body(_account(request)))


class AccountModeSwitchApi(APIView):
    # Real money: going live, and back, is the owner's own decision. A program stops trading with the kill switch.
    owner_action = OwnerAction(what="switch the account between paper and live")

    class InputSerializer(StrictSerializer):
        mode = serializers.ChoiceField(choices=["paper", "live"])

    @extend_schema(
        operation_id="account_mode_switch",
        tags=["orders"],
        request=InputSerializer,
        responses={200: AccountModeApi.OutputSerializer, 404: ERRORS[404], 409: ERRORS[409], 422: ERRORS[422]},
        description="Switch between paper and live. 409 `open_orders` / `positions_held` while anything is "
        "open; 422 `broker_not_connected` without broker credentials. Recorded in the audit trail.",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = services.trading_account_switch_mode(
            user=request.user, account=_account(request), mode=data.validated_data["mode"]
        )
        return Response(AccountModeApi.body(account))


class ExternalOrderListApi(ListAPIView):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = ExternalOrder
            fields = [
                "id",
                "broker_order_id",
                "tag",
                "exchange",
                "symbol",
                "side",
                "product",
                "order_type",
                "quantity",
                "filled_quantity",
                "price",
                "average_price",
                "status",
                "message",
                "first_seen_at",
                "updated_at",
            ]

    serializer_class = OutputSerializer

    @extend_schema(
        operation_id="orders_external",
        tags=["orders"],
        description="Orders at your broker that the platform did not place (its own app, another tool), as "
        "reconciliation last saw them.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.external_orders_for_user(user=self.request.user, account=request_account(self.request))
