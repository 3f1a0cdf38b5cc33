"""Placing, reading, modifying and cancelling orders."""

from django.conf import settings
from django.core.validators import RegexValidator
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.chosen import request_account
from core.api import (
    CommaSeparatedListField,
    DateInputField,
    DecimalInputField,
    IntegerInputField,
    StrictSerializer,
    validated,
)
from core.errors import InvalidInput, RuleViolation
from core.schema import ERRORS
from marketdata.models import Exchange
from marketdata.selectors import instrument_cached

from .. import selectors, services
from ..models import OrderEvent, OrderStatus, OrderType, Product, Side, Validity
from ..serializers import OrderOutputSerializer
from ..validation import OrderParams

KEY_PATTERN = r"^[A-Za-z0-9._:\-]{1,64}$"
KEY_VALIDATOR = RegexValidator(KEY_PATTERN, "Use 1-64 letters, digits, '.', '_', ':' or '-'.")
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "pattern": KEY_PATTERN},
    location=OpenApiParameter.HEADER,
    description="Same as client_order_id: a repeated request returns the first order (200).",
)
# 503 `broker_unavailable`: a live account whose broker breaker is open (refused before anything is stored).
PLACEMENT_ERRORS = {404: ERRORS[404], 409: ERRORS[409], 422: ERRORS[422], 503: ERRORS[503]}
# Codes clients branch on. A price beyond what the API reads at all (core.inputs) is as implausible as one
# beyond MAX_PRICE, and keeps that code.
ORDER_CODES = {
    ("quantity", "min_value"): "invalid_quantity",
    ("quantity", "max_value"): "quantity_too_large",
    **{
        (field, kind): f"invalid_{field}"
        for field in ("price", "trigger_price")
        for kind in ("number_too_large", "too_many_decimals")
    },
}


def _quantity_field(**kwargs) -> IntegerInputField:
    return IntegerInputField(min_value=1, max_value=settings.ORDER_MAX_QUANTITY, **kwargs)


class OrderListApi(ListAPIView):
    class FilterSerializer(serializers.Serializer):
        status = CommaSeparatedListField(
            child=serializers.ChoiceField(choices=OrderStatus.choices), required=False, help_text="e.g. OPEN,FILLED"
        )
        symbol = serializers.CharField(required=False, max_length=64, help_text="Trading symbol, e.g. SBIN-EQ.")
        exchange = serializers.ChoiceField(choices=Exchange.choices, required=False)
        date = DateInputField(required=False, help_text="Orders placed on this IST date.")
        open = serializers.BooleanField(required=False, default=False, help_text="Only orders not yet finished.")

    serializer_class = OrderOutputSerializer

    @extend_schema(operation_id="orders_list", tags=["orders"], parameters=[FilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        codes = {"status": "invalid_status", "date": "invalid_date"}
        query = validated(self.FilterSerializer, self.request.query_params, codes=codes)
        return selectors.order_list_for_user(
            user=self.request.user,
            account=request_account(self.request),
            statuses=query.get("status", []),
            symbol=query.get("symbol", ""),
            exchange=query.get("exchange", ""),
            day=query.get("date"),
            open_only=query["open"],
        )


def _idempotency_key(request, body_key: str | None) -> str | None:
    header = request.headers.get("Idempotency-Key")
    if header is None:
        return body_key
    try:
        KEY_VALIDATOR(header)
    except Exception:
        message = "The Idempotency-Key header must be 1-64 letters, digits, '.', '_', ':' or '-'."
        raise InvalidInput(message, code="invalid_idempotency_key") from None
    if body_key and body_key != header:
        message = "client_order_id and the Idempotency-Key header differ; send one, or the same value in both."
        raise RuleViolation(message, code="idempotency_key_mismatch", field="client_order_id")
    return header


class OrderCreateApi(APIView):
    rate_limit_group = "orders"  # ORDER_RATE_LIMIT

    class InputSerializer(StrictSerializer):
        exchange = serializers.ChoiceField(choices=Exchange.choices)
        symbol = serializers.CharField(max_length=64, help_text="Trading symbol, e.g. SBIN-EQ.")
        side = serializers.ChoiceField(choices=Side.choices)
        quantity = _quantity_field(help_text="A multiple of the lot size.")
        order_type = serializers.ChoiceField(choices=OrderType.choices)
        product = serializers.ChoiceField(choices=Product.choices)
        validity = serializers.ChoiceField(choices=Validity.choices, default=Validity.DAY)
        price = DecimalInputField(
            required=False, allow_null=True, help_text="LIMIT and SL only; a multiple of the tick size."
        )
        trigger_price = DecimalInputField(required=False, allow_null=True, help_text="SL and SL-M only.")
        client_order_id = serializers.CharField(
            required=False, allow_null=True, validators=[KEY_VALIDATOR], help_text="Your idempotency key."
        )
        tag = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")

    @extend_schema(
        operation_id="orders_create",
        tags=["orders"],
        request=InputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: OrderOutputSerializer, 200: OrderOutputSerializer, **PLACEMENT_ERRORS},
        description="Validate, check funds and queue an order for the broker. 201 when created; 200 with the "
        "first order when the idempotency key was seen before with the same request; 409 "
        "(`idempotency_key_reused`) when it was seen with a different one. Prices may be decimal strings or "
        "JSON numbers (read exactly, never through a float). What the schema forbids is a 400; rules of the "
        "order type, the instrument and the market are 422 with their own codes: `price_required`, "
        "`price_not_tick_multiple`, `quantity_not_lot_multiple`, `insufficient_funds`, `market_closed`, ...",
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data, codes=ORDER_CODES)
        key = _idempotency_key(request, data.pop("client_order_id", None))
        instrument = instrument_cached(exchange=data.pop("exchange"), symbol=data.pop("symbol"))
        tag = data.pop("tag")
        params = OrderParams(**{"price": None, "trigger_price": None, **data})
        order, created = services.order_place(
            user=request.user,
            account=request_account(request),
            instrument=instrument,
            params=params,
            client_order_id=key,
            tag=tag,
        )
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(OrderOutputSerializer(order).data, status=answer)


class OrderDetailApi(APIView):
    @extend_schema(operation_id="orders_retrieve", tags=["orders"], responses={200: OrderOutputSerializer})
    def get(self, request, order_id: int):
        order = selectors.order_get_for_user(user=request.user, account=request_account(request), order_id=order_id)
        return Response(OrderOutputSerializer(order).data)


class OrderModifyApi(APIView):
    rate_limit_group = "orders"  # ORDER_RATE_LIMIT

    class InputSerializer(StrictSerializer):
        min_fields = 1

        quantity = _quantity_field(required=False)
        price = DecimalInputField(required=False, allow_null=True)
        trigger_price = DecimalInputField(required=False, allow_null=True)
        order_type = serializers.ChoiceField(choices=OrderType.choices, required=False)

    @extend_schema(
        operation_id="orders_modify",
        tags=["orders"],
        request=InputSerializer,
        responses={202: OrderOutputSerializer, 409: ERRORS[409], 422: ERRORS[422]},
        description="Ask the broker to change a working order. The order is MODIFY_PENDING until the broker "
        "confirms (then it carries the new values) or refuses (then it keeps the old ones). 409 "
        "`order_not_modifiable` when it is not working at the broker.",
    )
    def patch(self, request, order_id: int):
        order = selectors.order_get_for_user(user=request.user, account=request_account(request), order_id=order_id)
        codes = {**ORDER_CODES, "non_field_errors": "no_changes"}
        changes = validated(self.InputSerializer, request.data, codes=codes)
        order = services.order_modify(user=request.user, order=order, changes=changes)
        return Response(OrderOutputSerializer(order).data, status=status.HTTP_202_ACCEPTED)


class OrderCancelApi(APIView):
    rate_limit_group = "orders"  # ORDER_RATE_LIMIT

    @extend_schema(
        operation_id="orders_cancel",
        tags=["orders"],
        responses={202: OrderOutputSerializer, 409: ERRORS[409]},
        description="Cancel a live order: CANCEL_PENDING until the broker confirms. A NEW order that has not "
        "reached the broker yet is cancelled at once; one the broker is still answering about (being placed "
        "or modified) is cancelled right after the answer (`cancel_requested` is true meanwhile).",
    )
    def delete(self, request, order_id: int):
        order = selectors.order_get_for_user(user=request.user, account=request_account(request), order_id=order_id)
        order = services.order_cancel(user=request.user, order=order)
        return Response(OrderOutputSerializer(order).data, status=status.HTTP_202_ACCEPTED)


class OrderEventListApi(ListAPIView):
    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = OrderEvent
            fields = ["from_status", "to_status", "at", "reason", "actor", "data"]

    serializer_class = OutputSerializer

    @extend_schema(operation_id="orders_events", tags=["orders"], description="The order's history, oldest first.")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        order = selectors.order_get_for_user(
            user=self.request.user, account=request_account(self.request), order_id=self.kwargs["order_id"]
        )
        return selectors.order_events(order=order)


class OrderCancelAllApi(APIView):
    rate_limit_group = "orders"  # ORDER_RATE_LIMIT

    class OutputSerializer(serializers.Serializer):
        cancelled = OrderOutputSerializer(many=True)

    @extend_schema(
        operation_id="orders_cancel_all",
        tags=["orders"],
        request=None,
        responses={202: OutputSerializer},
        description="Cancel every live order (those the broker is still answering about right after the answer).",
    )
    def post(self, request):
        cancelled = services.orders_cancel_all(user=request.user, account=request_account(request))
        return Response(self.OutputSerializer({"cancelled": cancelled}).data, status=status.HTTP_202_ACCEPTED)
