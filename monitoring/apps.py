from django.apps import AppConfig

from . import events  # noqa: F401 - registers this app's event names before any app subscribes in ready()


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from functools import partial

        from auditlog.registry import auditlog

        from . import (
            celery_metrics,  # noqa: F401 - task timings, queue depth (Celery signals, a collector)
            tracing,  # noqa: F401 - connects the Celery signals that carry the request id
        )
        from .health import cache_check, database_check, register_check
        from .models import AlertRule

        # Who changed which alert rule, from what to what; not its evaluation state, which beat writes every
        # ALERT_EVALUATE_SECONDS (it was most of the audit trail): an update touching only those writes no entry.
        auditlog.register(AlertRule, exclude_fields=["pending_since", "last_value", "last_evaluated_at"])
        from .heartbeats import beat_check, worker_check

        register_check("database", database_check)
        register_check("cache", cache_check)
        register_check("worker", worker_check)
        register_check("beat", beat_check)

        from .conditions import heartbeat_age, queue_backlog, register_condition

        register_condition(
            "worker_heartbeat_age", partial(heartbeat_age, "worker"), "seconds since a worker's heartbeat"
        )
        register_condition("beat_heartbeat_age", partial(heartbeat_age, "beat"), "seconds since beat's heartbeat")
        register_condition("queue_backlog", queue_backlog, "messages waiting in the largest Celery queue")
