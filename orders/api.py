"""Orders, trades, positions and funds under /api/v1/. Everything is scoped to the caller."""

from datetime import date

from django.core.validators import RegexValidator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination, StrictSerializer, decimal_string, iso_utc
from core.errors import InvalidInput
from marketdata.models import Exchange
from marketdata.selectors import instrument_cached, instrument_get_by_key, parse_symbol_key

from . import selectors, services
from .models import LedgerEntry, Order, OrderEvent, OrderStatus, OrderType, Product, Side, Trade, Validity
from .validation import OrderParams

PRICE_FIELD = {"max_digits": 16, "decimal_places": 4, "required": False, "allow_null": True}
KEY_VALIDATOR = RegexValidator(r"^[A-Za-z0-9._:\-]{1,64}$", "Use 1-64 letters, digits, '.', '_', ':' or '-'.")


class OrderOutputSerializer(serializers.ModelSerializer):
    """The order as the API shows it (documentation; `order_json` renders it, much faster)."""

    exchange = serializers.CharField(source="instrument.exchange")
    symbol = serializers.CharField(source="instrument.symbol")
    pending_quantity = serializers.IntegerField()
    cancel_requested = serializers.BooleanField(help_text="A cancel is pending or queued behind another request.")

    class Meta:
        model = Order
        fields = [
            "id", "exchange", "symbol", "side", "quantity", "filled_quantity", "pending_quantity", "order_type",
            "product", "validity", "price", "trigger_price", "average_price", "status", "client_order_id",
            "broker_order_id", "tag", "rejection_code", "rejection_reason", "reserved_amount", "cancel_requested",
            "source",
            "created_at", "updated_at",
        ]  # fmt: skip


def order_json(o: Order) -> dict:
    """What OrderOutputSerializer documents, without building a serializer per request (the hot path)."""
    return {
        "id": o.id,
        "exchange": o.instrument.exchange,
        "symbol": o.instrument.symbol,
        "side": o.side,
        "quantity": o.quantity,
        "filled_quantity": o.filled_quantity,
        "pending_quantity": o.quantity - o.filled_quantity,
        "order_type": o.order_type,
        "product": o.product,
        "validity": o.validity,
        "price": decimal_string(o.price, o.instrument.price_places),
        "trigger_price": decimal_string(o.trigger_price, o.instrument.price_places),
        "average_price": decimal_string(o.average_price, o.instrument.price_places),
        "status": o.status,
        "client_order_id": o.client_order_id,
        "broker_order_id": o.broker_order_id,
        "tag": o.tag,
        "rejection_code": o.rejection_code,
        "rejection_reason": o.rejection_reason,
        "reserved_amount": decimal_string(o.reserved_amount, 4),
        "cancel_requested": o.cancel_requested,
        "source": o.source,
        "created_at": iso_utc(o.created_at),
        "updated_at": iso_utc(o.updated_at),
    }


def _idempotency_key(request, body_key: str | None) -> str | None:
    header = request.headers.get("Idempotency-Key")
    if header is not None:
        try:
            KEY_VALIDATOR(header)
        except Exception:
            raise InvalidInput(
                "The Idempotency-Key header must be 1-64 letters, digits, '.', '_', ':' or '-'.",
                code="invalid_idempotency_key",
            ) from None
        if body_key and body_key != header:
            raise InvalidInput(
                "client_order_id and the Idempotency-Key header differ; send one, or the same value in both.",
                code="idempotency_key_mismatch",
                field="client_order_id",
            )
    return body_key or header


class OrderListCreateApi(APIView):
    class InputSerializer(StrictSerializer):
        exchange = serializers.ChoiceField(choices=Exchange.choices)
        symbol = serializers.CharField(max_length=64, help_text="Trading symbol, e.g. SBIN-EQ.")
        side = serializers.ChoiceField(choices=Side.choices)
        quantity = serializers.IntegerField(help_text="A positive multiple of the lot size.")
        order_type = serializers.ChoiceField(choices=OrderType.choices)
        product = serializers.ChoiceField(choices=Product.choices)
        validity = serializers.ChoiceField(choices=Validity.choices, default=Validity.DAY)
        price = serializers.DecimalField(**PRICE_FIELD, help_text="LIMIT and SL only; a multiple of the tick size.")
        trigger_price = serializers.DecimalField(**PRICE_FIELD, help_text="SL and SL-M only.")
        client_order_id = serializers.CharField(
            required=False, allow_null=True, validators=[KEY_VALIDATOR], help_text="Your idempotency key."
        )
        tag = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="orders_list",
        tags=["orders"],
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, description="Comma-separated statuses, e.g. OPEN,FILLED."),
            OpenApiParameter("symbol", OpenApiTypes.STR, description="Trading symbol, e.g. SBIN-EQ."),
            OpenApiParameter("exchange", OpenApiTypes.STR),
            OpenApiParameter("date", OpenApiTypes.DATE, description="Orders placed on this IST date."),
            OpenApiParameter("open", OpenApiTypes.BOOL, description="Only orders that are not finished."),
        ],
        responses={200: OrderOutputSerializer(many=True)},
    )
    def get(self, request):
        params = request.query_params
        day = None
        if params.get("date"):
            try:
                day = date.fromisoformat(params["date"])
            except ValueError:
                raise InvalidInput("`date` must be YYYY-MM-DD.", code="invalid_date", field="date") from None
        statuses = [s.strip().upper() for s in params.get("status", "").split(",") if s.strip()]
        unknown = [s for s in statuses if s not in OrderStatus.values]
        if unknown:
            raise InvalidInput(
                f"Unknown status {', '.join(unknown)}; use {', '.join(OrderStatus.values)}.",
                code="invalid_status",
                field="status",
            )
        orders = selectors.order_list_for_user(
            user=request.user,
            status=",".join(statuses),
            symbol=params.get("symbol", "")[:64],
            exchange=params.get("exchange", "")[:8],
            day=day,
            open_only=params.get("open", "").lower() in ("1", "true", "yes"),
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(orders, request, view=self)
        return paginator.get_paginated_response([order_json(o) for o in page])

    @extend_schema(
        operation_id="orders_create",
        tags=["orders"],
        request=InputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                description="Same as client_order_id: a repeated request returns the first order (200).",
            )
        ],
        responses={201: OrderOutputSerializer, 200: OrderOutputSerializer},
        description="Validate, check funds and queue an order for the broker. 201 when created; 200 with the "
        "first order when the idempotency key was seen before with the same request; 409 "
        "(`idempotency_key_reused`) when it was seen with a different one. Rule violations are 422 "
        "with their own codes: `insufficient_funds`, `market_closed`, `product_not_allowed`, ...",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        key = _idempotency_key(request, v.get("client_order_id"))
        instrument = instrument_cached(exchange=v["exchange"], symbol=v["symbol"])
        params = OrderParams(
            side=v["side"],
            quantity=v["quantity"],
            order_type=v["order_type"],
            product=v["product"],
            validity=v["validity"],
            price=v.get("price"),
            trigger_price=v.get("trigger_price"),
        )
        order, created = services.order_place(
            user=request.user, instrument=instrument, params=params, client_order_id=key, tag=v["tag"]
        )
        return Response(order_json(order), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class OrderDetailApi(APIView):
    class ModifySerializer(StrictSerializer):
        quantity = serializers.IntegerField(required=False)
        price = serializers.DecimalField(**PRICE_FIELD)
        trigger_price = serializers.DecimalField(**PRICE_FIELD)
        order_type = serializers.ChoiceField(choices=OrderType.choices, required=False)

    @extend_schema(operation_id="orders_retrieve", tags=["orders"], responses={200: OrderOutputSerializer})
    def get(self, request, order_id: int):
        return Response(order_json(selectors.order_get_for_user(user=request.user, order_id=order_id)))

    @extend_schema(
        operation_id="orders_modify",
        tags=["orders"],
        request=ModifySerializer,
        responses={202: OrderOutputSerializer},
        description="Ask the broker to change a working order. The order is MODIFY_PENDING until the broker "
        "confirms (then it carries the new values) or refuses (then it keeps the old ones).",
    )
    def patch(self, request, order_id: int):
        order = selectors.order_get_for_user(user=request.user, order_id=order_id)
        data = self.ModifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_modify(user=request.user, order=order, changes=dict(data.validated_data))
        return Response(order_json(order), status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        operation_id="orders_cancel",
        tags=["orders"],
        responses={202: OrderOutputSerializer},
        description="Cancel a working order: CANCEL_PENDING until the broker confirms. A NEW order that has not "
        "reached the broker yet is cancelled at once.",
    )
    def delete(self, request, order_id: int):
        order = selectors.order_get_for_user(user=request.user, order_id=order_id)
        order = services.order_cancel(user=request.user, order=order)
        return Response(order_json(order), status=status.HTTP_202_ACCEPTED)


class OrderEventsApi(APIView):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = OrderEvent
            fields = ["from_status", "to_status", "at", "reason", "actor", "data"]

    @extend_schema(operation_id="orders_events", tags=["orders"], responses={200: OutputSerializer(many=True)})
    def get(self, request, order_id: int):
        order = selectors.order_get_for_user(user=request.user, order_id=order_id)
        return Response(self.OutputSerializer(selectors.order_events(order=order), many=True).data)


class OrderCancelAllApi(APIView):
    class OutputSerializer(serializers.Serializer):
        cancelled = OrderOutputSerializer(many=True)

    @extend_schema(
        operation_id="orders_cancel_all",
        tags=["orders"],
        request=None,
        responses={202: OutputSerializer},
        description="Cancel every working order; orders in flight at the broker are left as they are.",
    )
    def post(self, request):
        cancelled = services.orders_cancel_all(user=request.user)
        return Response({"cancelled": [order_json(o) for o in cancelled]}, status=status.HTTP_202_ACCEPTED)


class TradeOutputSerializer(serializers.ModelSerializer):
    exchange = serializers.CharField(source="instrument.exchange")
    symbol = serializers.CharField(source="instrument.symbol")
    order_id = serializers.IntegerField()

    class Meta:
        model = Trade
        fields = ["id", "order_id", "exchange", "symbol", "side", "product", "quantity", "price", "executed_at"]


class TradeListApi(ListAPIView):
    serializer_class = TradeOutputSerializer

    @extend_schema(
        operation_id="trades_list",
        tags=["orders"],
        parameters=[OpenApiParameter("symbol", OpenApiTypes.STR, description="Trading symbol, e.g. SBIN-EQ.")],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.trades_for_user(
            user=self.request.user, symbol=self.request.query_params.get("symbol", "")[:64]
        )


class PositionOutputSerializer(serializers.Serializer):
    exchange = serializers.CharField(source="position.instrument.exchange")
    symbol = serializers.CharField(source="position.instrument.symbol")
    product = serializers.CharField(source="position.product")
    net_quantity = serializers.IntegerField(source="position.net_quantity")
    average_price = serializers.DecimalField(source="position.average_price", max_digits=18, decimal_places=4)
    ltp = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    realised_pnl = serializers.DecimalField(source="position.realised_pnl", max_digits=20, decimal_places=2)
    unrealised_pnl = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    total_pnl = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    buy_quantity = serializers.IntegerField(source="position.buy_quantity")
    sell_quantity = serializers.IntegerField(source="position.sell_quantity")
    stale = serializers.BooleanField(help_text="The price behind the unrealised P&L is stale.")


class PositionListApi(APIView):
    @extend_schema(
        operation_id="positions_list",
        tags=["orders"],
        parameters=[OpenApiParameter("open", OpenApiTypes.BOOL, description="Only positions with a quantity.")],
        responses={200: PositionOutputSerializer(many=True)},
        description="Positions with unrealised P&L at the live price.",
    )
    def get(self, request):
        open_only = request.query_params.get("open", "").lower() in ("1", "true", "yes")
        views = selectors.positions_for_user(user=request.user, include_closed=not open_only)
        return Response(PositionOutputSerializer(views, many=True).data)


class PositionCloseApi(APIView):
    class InputSerializer(StrictSerializer):
        symbol = serializers.CharField(
            max_length=80, required=False, help_text="EXCHANGE:SYMBOL to square off one; omit to close all."
        )
        product = serializers.ChoiceField(choices=Product.choices, required=False)

    class OutputSerializer(serializers.Serializer):
        orders = OrderOutputSerializer(many=True)

    @extend_schema(
        operation_id="positions_close",
        tags=["orders"],
        request=InputSerializer,
        responses={202: OutputSerializer},
        description="Square off: a MARKET order against each matching open position.",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        instrument = None
        if data.validated_data.get("symbol"):
            exchange, symbol = parse_symbol_key(data.validated_data["symbol"])
            instrument = instrument_get_by_key(exchange=exchange, symbol=symbol)
        orders = services.positions_close(
            user=request.user, instrument=instrument, product=data.validated_data.get("product")
        )
        return Response({"orders": [order_json(o) for o in orders]}, status=status.HTTP_202_ACCEPTED)


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

    @extend_schema(operation_id="funds", tags=["orders"], responses={200: OutputSerializer})
    def get(self, request):
        return Response(self.OutputSerializer(selectors.funds_for_user(user=request.user)).data)


class LedgerApi(ListAPIView):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = LedgerEntry
            fields = ["id", "kind", "amount", "balance_after", "note", "created_at"]

    serializer_class = OutputSerializer

    @extend_schema(operation_id="funds_ledger", tags=["orders"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.ledger_for_user(user=self.request.user)
