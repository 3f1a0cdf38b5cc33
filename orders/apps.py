from django.apps import AppConfig

# Registers this app's event names before any app subscribes in ready().
from . import events  # noqa: F401


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from brokers.base import order_updates
        from marketdata.bus import register_subscription_provider

        from . import tasks  # noqa: F401 - registers the Celery tasks, which the services queue by name
        from .selectors import instruments_in_play
        from .services import on_broker_update

        order_updates.subscribe(on_broker_update)
        from monitoring.conditions import register_condition

        from .alerts import CONDITIONS

        for key, (condition, label) in CONDITIONS.items():
            register_condition(key, condition, label)
        # A worker that starts reconciles at once: whatever happened while none was running is settled first.
        from celery.signals import worker_ready

        worker_ready.connect(_reconcile_on_start, weak=False, dispatch_uid="orders-reconcile-on-start")
        # The feed must tick whatever has open orders or positions, watched or not.
        register_subscription_provider("orders-and-positions", instruments_in_play)
        # Orders and money keep their own complete history (OrderEvent, the ledger); auditlog covers what
        # people edit by hand (accounts, instruments, risk limits: risk registers its own).


def _reconcile_on_start(sender=None, **kwargs) -> None:
    from .tasks import reconcile

    try:
        reconcile.delay()
    except Exception:  # the queue is away: beat queues the next sweep in a few seconds
        import logging

        logging.getLogger(__name__).exception("could not queue reconciliation at worker start")
