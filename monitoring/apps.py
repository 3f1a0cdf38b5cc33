from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from . import (
            celery_metrics,  # noqa: F401 - task timings, queue depth (Celery signals, a collector)
            tracing,  # noqa: F401 - connects the Celery signals that carry the request id
        )
        from .health import cache_check, database_check, register_check
        from .heartbeats import beat_check, worker_check

        register_check("database", database_check)
        register_check("cache", cache_check)
        register_check("worker", worker_check)
        register_check("beat", beat_check)
