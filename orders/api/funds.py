"""The account's money and its ledger."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.chosen import request_account
from core.schema import ERRORS

from .. import selectors
from ..models import LedgerEntry


class FundsApi(APIView):
    class OutputSerializer(serializers.Serializer):
        cash = serializers.DecimalField(source="funds.cash", max_digits=20, decimal_places=2)
        reserved = serializers.DecimalField(
            source="funds.reserved", max_digits=20, decimal_places=2, help_text="Blocked for open orders."
        )
        margin_used = serializers.DecimalField(
            source="funds.margin_used", max_digits=20, decimal_places=2, help_text="Blocked for open positions."
        )
        available = serializers.DecimalField(max_digits=20, decimal_places=2)
        realised_pnl = serializers.DecimalField(max_digits=20, decimal_places=2)
        unrealised_pnl = serializers.DecimalField(max_digits=20, decimal_places=2)

    @extend_schema(
        operation_id="funds",
        tags=["orders"],
        responses={200: OutputSerializer, 404: ERRORS[404]},
        description="The account's money. 404 `no_trading_account` before the account is opened.",
    )
    def get(self, request):
        return Response(
            self.OutputSerializer(selectors.funds_for_user(user=request.user, account=request_account(request))).data
        )


class LedgerListApi(ListAPIView):
    class OutputSerializer(serializers.ModelSerializer):
        amount = serializers.DecimalField(max_digits=20, decimal_places=2)
        balance_after = serializers.DecimalField(max_digits=20, decimal_places=2)

        class Meta:
            model = LedgerEntry
            fields = ["id", "kind", "amount", "balance_after", "note", "created_at"]

    serializer_class = OutputSerializer

    @extend_schema(operation_id="funds_ledger", tags=["orders"], description="Every movement of cash, newest first.")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.ledger_for_user(user=self.request.user, account=request_account(self.request))
