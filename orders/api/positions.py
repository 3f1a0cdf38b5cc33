"""Trades, positions and square-off."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.chosen import request_account
from core.api import PriceField, StrictSerializer, validated
from core.schema import ERRORS
from marketdata.api import SymbolKeyField
from marketdata.selectors import instrument_get_by_key

from .. import selectors, services
from ..models import Product, Trade
from ..serializers import OrdersOutputSerializer


class TradeListApi(ListAPIView):
    class FilterSerializer(serializers.Serializer):
        symbol = serializers.CharField(required=False, max_length=64, help_text="Trading symbol, e.g. SBIN-EQ.")

    class OutputSerializer(serializers.ModelSerializer):
        exchange = serializers.CharField(source="instrument.exchange")
        symbol = serializers.CharField(source="instrument.symbol")
        order_id = serializers.IntegerField()
        price = PriceField()

        class Meta:
            model = Trade
            fields = ["id", "order_id", "exchange", "symbol", "side", "product", "quantity", "price", "executed_at"]

    serializer_class = OutputSerializer

    @extend_schema(operation_id="trades_list", tags=["orders"], parameters=[FilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = validated(self.FilterSerializer, self.request.query_params)
        return selectors.trades_for_user(
            user=self.request.user, account=request_account(self.request), symbol=query.get("symbol", "")
        )


class PositionListApi(ListAPIView):
    class FilterSerializer(serializers.Serializer):
        open = serializers.BooleanField(required=False, default=False, help_text="Only positions with a quantity.")

    class OutputSerializer(serializers.Serializer):
        exchange = serializers.CharField(source="position.instrument.exchange")
        symbol = serializers.CharField(source="position.instrument.symbol")
        product = serializers.CharField(source="position.product")
        net_quantity = serializers.IntegerField(source="position.net_quantity")
        average_price = PriceField(source="position.average_price", instrument="position.instrument")
        ltp = PriceField(instrument="position.instrument", allow_null=True)
        realised_pnl = serializers.DecimalField(source="position.realised_pnl", max_digits=20, decimal_places=2)
        unrealised_pnl = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
        total_pnl = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
        buy_quantity = serializers.IntegerField(source="position.buy_quantity")
        sell_quantity = serializers.IntegerField(source="position.sell_quantity")
        stale = serializers.BooleanField(help_text="The price behind the unrealised P&L is stale.")

    serializer_class = OutputSerializer

    @extend_schema(
        operation_id="positions_list",
        tags=["orders"],
        parameters=[FilterSerializer],
        description="Positions with unrealised P&L at the live price (those closed today included).",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = validated(self.FilterSerializer, self.request.query_params)
        return selectors.positions_for_user(
            user=self.request.user, account=request_account(self.request), include_closed=not query["open"]
        )


class PositionCloseApi(APIView):
    class InputSerializer(StrictSerializer):
        symbol = SymbolKeyField(required=False, help_text="EXCHANGE:SYMBOL to square off one; omit to close all.")
        product = serializers.ChoiceField(choices=Product.choices, required=False)

    @extend_schema(
        operation_id="positions_close",
        tags=["orders"],
        request=InputSerializer,
        responses={202: OrdersOutputSerializer, 404: ERRORS[404], 422: ERRORS[422]},
        description="Square off: a MARKET order against each matching open position (404 `no_position`).",
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        instrument = None
        if "symbol" in data:
            exchange, symbol = data["symbol"]
            instrument = instrument_get_by_key(exchange=exchange, symbol=symbol)
        orders = services.positions_close(
            user=request.user, account=request_account(request), instrument=instrument, product=data.get("product")
        )
        return Response(OrdersOutputSerializer({"orders": orders}).data, status=status.HTTP_202_ACCEPTED)
