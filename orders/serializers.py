"""Output serializers shared by several API operations and the live stream (orders.stream).

Plain serializers with every field declared: a ModelSerializer would rebuild its
fields from the model's metadata for each order it renders (a fifth of a
placement's time in the web process); what it would infer is written here once.
"""

from rest_framework import serializers

from core.api import PriceField

from .models import OrderStatus, OrderType, Product, Side, Validity


def _text(**kwargs) -> serializers.CharField:
    return serializers.CharField(read_only=True, **kwargs)


class OrderOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    exchange = _text(source="instrument.exchange")
    symbol = _text(source="instrument.symbol")
    side = serializers.ChoiceField(choices=Side.choices, read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    filled_quantity = serializers.IntegerField(read_only=True)
    pending_quantity = serializers.IntegerField(read_only=True)
    order_type = serializers.ChoiceField(choices=OrderType.choices, read_only=True)
    product = serializers.ChoiceField(choices=Product.choices, read_only=True)
    validity = serializers.ChoiceField(choices=Validity.choices, read_only=True)
    price = PriceField(allow_null=True)
    trigger_price = PriceField(allow_null=True)
    average_price = PriceField(allow_null=True, help_text="Of what has filled, at the instrument's precision.")
    status = serializers.ChoiceField(choices=OrderStatus.choices, read_only=True)
    client_order_id = _text(allow_null=True)
    broker_order_id = _text(allow_null=True)
    tag = _text(help_text="The trader's own label.")
    rejection_code = _text()
    rejection_reason = _text()
    reserved_amount = serializers.DecimalField(
        max_digits=20, decimal_places=4, read_only=True, help_text="Funds still blocked for the unfilled part."
    )
    cancel_requested = serializers.BooleanField(
        read_only=True, help_text="A cancel is pending, or queued behind another request."
    )
    source = _text(help_text="api, dashboard, system, strategy, square_off")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class OrdersOutputSerializer(serializers.Serializer):
    orders = OrderOutputSerializer(many=True)
