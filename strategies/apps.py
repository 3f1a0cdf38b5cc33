from django.apps import AppConfig


class StrategiesConfig(AppConfig):
    name = "strategies"

    def ready(self) -> None:
        from monitoring.metrics import register_collector

        from .metrics import backtests_running_collector

        register_collector("backtests_running", backtests_running_collector)
