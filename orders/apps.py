from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from brokers.base import order_updates
        from marketdata.bus import register_subscription_provider

        from .models import Funds, Order
        from .selectors import instruments_in_play
        from .services import on_broker_update

        order_updates.subscribe(on_broker_update)
        # The feed must tick whatever has open orders or positions, watched or not.
        register_subscription_provider("orders-and-positions", instruments_in_play)
        auditlog.register(Order, include_fields=["status", "quantity", "price", "trigger_price", "order_type"])
        auditlog.register(Funds, include_fields=["cash"])
