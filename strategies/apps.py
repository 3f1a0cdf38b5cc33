from django.apps import AppConfig

from . import events  # noqa: F401 - registers this app's event names before any app subscribes in ready()


class StrategiesConfig(AppConfig):
    name = "strategies"

    def ready(self) -> None:
        from marketdata.bus import register_subscription_provider

        from . import (
            builtin,  # noqa: F401 - the built-in strategies register themselves
            tasks,  # noqa: F401 - registers the Celery tasks, which the services queue by name
        )
        from .selectors import run_instrument_ids

        # The feed builds the candles the runs trade on only for instruments someone asked for.
        register_subscription_provider("strategy-runs", run_instrument_ids)

        from monitoring.metrics import register_collector

        from .metrics import backtests_running_collector

        register_collector("backtests_running", backtests_running_collector)
