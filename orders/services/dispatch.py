"""Handing orders to the Celery workers that talk to brokers.

Tasks are named, not imported: orders.tasks calls the services, so the services reach the tasks through
Celery's registry (orders/apps.py imports orders.tasks, which registers them) instead of importing back."""

import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task_name: str, order_id: int) -> None:
    try:
        current_app.tasks[f"orders.tasks.{task_name}"].delay(order_id)
    except Exception:
        # The order is committed; the outbox sweep sends it if the queue is down.
        logger.exception("could not queue %s for order %s; the outbox sweep will retry", task_name, order_id)


def enqueue_on_commit(task_name: str, order_id: int) -> None:
    """Queue the task once the current transaction commits (never for a write that rolled back)."""
    transaction.on_commit(lambda: enqueue(task_name, order_id))
