"""Risk under /api/v1/risk/: limits and usage, the kill switch, reactivation. Orders' API, not risk's: what
the account uses is counted by orders, and the kill switch's answer is the orders it cancelled."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.chosen import request_account
from core.api import OwnerAction, StrictSerializer, validated
from core.errors import NotFound
from core.schema import ERRORS
from risk.services import trading_state_reactivate

from ..selectors import risk_overview_of
from ..serializers import OrderOutputSerializer
from ..services.risk_actions import kill_switch_activate


def _account(request):
    account = request_account(request)
    if account is None:
        raise NotFound("You have no trading account yet.", code="no_trading_account")
    return account


class LimitUseSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    limit = serializers.DecimalField(max_digits=20, decimal_places=2)
    used = serializers.DecimalField(max_digits=20, decimal_places=2)
    level = serializers.ChoiceField(choices=["ok", "amber", "red"], help_text="amber from 75% used, red from 90%.")


class RiskProfileSerializer(serializers.Serializer):
    state = serializers.CharField(help_text="ACTIVE, REDUCING (only reducing orders) or HALTED (cancels only).")
    state_code = serializers.CharField()
    state_reason = serializers.CharField()
    state_changed_at = serializers.DateTimeField(allow_null=True)
    reactivate_after = serializers.DateTimeField(
        allow_null=True, help_text="When the trader may reactivate; null while ACTIVE or when only an admin may."
    )
    max_order_value_equity = serializers.DecimalField(max_digits=20, decimal_places=2)
    max_order_value_futures = serializers.DecimalField(max_digits=20, decimal_places=2)
    max_order_value_options = serializers.DecimalField(max_digits=20, decimal_places=2)
    max_quantity_equity = serializers.IntegerField()
    max_quantity_futures = serializers.IntegerField()
    max_quantity_options = serializers.IntegerField()
    price_band_pct_equity = serializers.DecimalField(max_digits=5, decimal_places=2)
    price_band_pct_futures = serializers.DecimalField(max_digits=5, decimal_places=2)
    price_band_pct_options = serializers.DecimalField(max_digits=5, decimal_places=2)
    max_open_orders = serializers.IntegerField()
    max_position_value = serializers.DecimalField(max_digits=20, decimal_places=2)
    max_gross_exposure = serializers.DecimalField(max_digits=20, decimal_places=2)
    max_orders_per_second = serializers.IntegerField()
    max_orders_per_minute = serializers.IntegerField()
    max_orders_per_day = serializers.IntegerField()
    daily_loss_limit = serializers.DecimalField(max_digits=20, decimal_places=2)
    square_off_on_daily_loss = serializers.BooleanField()
    allowed_exchanges = serializers.ListField(child=serializers.CharField())
    allowed_products = serializers.ListField(child=serializers.CharField())
    allowed_instrument_classes = serializers.ListField(child=serializers.CharField())


class RiskApi(APIView):
    class OutputSerializer(serializers.Serializer):
        profile = RiskProfileSerializer()
        platform_halted = serializers.BooleanField()
        usage = LimitUseSerializer(many=True)

    @extend_schema(
        operation_id="risk_retrieve",
        tags=["risk"],
        responses={200: OutputSerializer, 404: ERRORS[404]},
        description="Your limits, what you use of each, and your trading state. Limits are set by admins.",
    )
    def get(self, request):
        overview = risk_overview_of(_account(request).id)
        body = {
            "profile": overview.profile,
            "platform_halted": bool(overview.platform and overview.platform.halted),
            "usage": overview.usage,
        }
        return Response(self.OutputSerializer(body).data)


class KillSwitchApi(APIView):
    class InputSerializer(StrictSerializer):
        square_off = serializers.BooleanField(default=False, help_text="Also close every open position at market.")

    class OutputSerializer(serializers.Serializer):
        state = serializers.CharField()
        reactivate_after = serializers.DateTimeField(allow_null=True)
        cancelled = OrderOutputSerializer(many=True)
        closing = OrderOutputSerializer(many=True)

    @extend_schema(
        operation_id="risk_kill_switch",
        tags=["risk"],
        request=InputSerializer,
        responses={202: OutputSerializer, 404: ERRORS[404]},
        description="Cancel every open order, optionally square off, and HALT the account (cancels only) until "
        "you reactivate it, from the next trading day (POST /api/v1/risk/reactivate/).",
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        account = _account(request)
        done = kill_switch_activate(
            account=account, actor=f"user:{request.user.username}", square_off=data["square_off"]
        )
        profile = risk_overview_of(account.id).profile
        body = {
            "state": profile.state,
            "reactivate_after": profile.reactivate_after,
            "cancelled": done.cancelled,
            "closing": done.closing,
        }
        return Response(self.OutputSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class ReactivateApi(APIView):
    # The kill switch is the trader's emergency brake: a program may pull it, only the trader releases it.
    owner_action = OwnerAction(what="lift the kill switch")

    class InputSerializer(StrictSerializer):
        """No fields: an unknown one (`force`, ...) is refused rather than ignored."""

    @extend_schema(
        operation_id="risk_reactivate",
        tags=["risk"],
        request=InputSerializer,
        responses={200: RiskProfileSerializer, 404: ERRORS[404], 422: ERRORS[422]},
        description="Back to ACTIVE after your own kill switch, from the next trading day "
        "(422 `risk_reactivation_not_yet`); a halt by an administrator is lifted by an administrator.",
    )
    def post(self, request):
        validated(self.InputSerializer, request.data)
        profile = trading_state_reactivate(account=_account(request), actor=f"user:{request.user.username}")
        return Response(RiskProfileSerializer(profile).data)
