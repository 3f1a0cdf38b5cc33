"""Output serializers shared by several operations."""

from rest_framework import serializers

from core.api import PriceField

from ..models import Order


class OrderOutputSerializer(serializers.ModelSerializer):
    exchange = serializers.CharField(source="instrument.exchange")
    symbol = serializers.CharField(source="instrument.symbol")
    pending_quantity = serializers.IntegerField()
    price = PriceField(allow_null=True)
    trigger_price = PriceField(allow_null=True)
    average_price = PriceField(allow_null=True, help_text="Of what has filled, at the instrument's precision.")
    reserved_amount = serializers.DecimalField(
        max_digits=20, decimal_places=4, help_text="Funds still blocked for the unfilled part."
    )
    cancel_requested = serializers.BooleanField(help_text="A cancel is pending, or queued behind another request.")

    class Meta:
        model = Order
        fields = [
            "id", "exchange", "symbol", "side", "quantity", "filled_quantity", "pending_quantity", "order_type",
            "product", "validity", "price", "trigger_price", "average_price", "status", "client_order_id",
            "broker_order_id", "tag", "rejection_code", "rejection_reason", "reserved_amount", "cancel_requested",
            "source", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class OrdersOutputSerializer(serializers.Serializer):
    orders = OrderOutputSerializer(many=True)
