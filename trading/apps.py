from django.apps import AppConfig


class TradingConfig(AppConfig):
    """The project package as an app: cross-app management commands and checks."""

    name = "trading"
    verbose_name = "Trading platform"

    def ready(self) -> None:
        from monitoring.health import register_check

        from .celery import broker_health_check

        register_check("celery_broker", broker_health_check)
