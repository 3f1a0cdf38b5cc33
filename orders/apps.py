from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from brokers.base import order_updates
        from marketdata.bus import register_subscription_provider

        from .selectors import instruments_in_play
        from .services import on_broker_update

        order_updates.subscribe(on_broker_update)
        # The feed must tick whatever has open orders or positions, watched or not.
        register_subscription_provider("orders-and-positions", instruments_in_play)
        # Orders and money keep their own complete history (OrderEvent, the ledger);
        # auditlog covers what people edit by hand (accounts, instruments, risk limits).
        from auditlog.registry import auditlog

        from .risk.models import PlatformRisk, RiskProfile

        auditlog.register(RiskProfile, exclude_fields=["updated_at"])
        auditlog.register(PlatformRisk)
