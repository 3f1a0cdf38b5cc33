"""Celery: how long tasks take per queue (measured in the worker), and how many messages wait in each queue.

Queue depth is read when /metrics is scraped: one LLEN per queue the platform
routes to, when Redis is the broker (the embedded broker's folder is not worth
listing on every scrape). A worker child that exits drops its live gauges.
"""

import time

from celery.signals import task_postrun, task_prerun, worker_process_shutdown
from django.conf import settings
from prometheus_client.core import GaugeMetricFamily

from . import perf_samples
from .metrics import counter, histogram, mark_process_dead, register_collector

task_seconds = histogram(
    "celery_task_duration_seconds", "Time a Celery task ran, by queue and task.", ("queue", "task", "state")
)
tasks_total = counter(
    "celery_tasks_total", "Celery tasks run, by queue, task and final state.", ("queue", "task", "state")
)

_started: dict[str, float] = {}  # task id -> perf_counter at prerun, in this worker process
_redis = None


def _queue_of(task) -> str:
    delivery = getattr(task.request, "delivery_info", None) or {}
    return delivery.get("routing_key") or delivery.get("exchange") or "eager"


@task_prerun.connect(weak=False, dispatch_uid="monitoring.celery_metrics.prerun")
def _task_started(task_id=None, **kwargs) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


@task_postrun.connect(weak=False, dispatch_uid="monitoring.celery_metrics.postrun")
def _task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    if started is None or task is None:
        return
    labels = (_queue_of(task), task.name, state or "UNKNOWN")
    elapsed = time.perf_counter() - started
    task_seconds.labels(*labels).observe(elapsed)
    perf_samples.record("task", task.name, elapsed)
    tasks_total.labels(*labels).inc()


@worker_process_shutdown.connect(weak=False, dispatch_uid="monitoring.celery_metrics.process_dead")
def _worker_process_exit(**kwargs) -> None:
    mark_process_dead()


def platform_queues() -> list[str]:
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values() if "queue" in route}
    return sorted({settings.CELERY_TASK_DEFAULT_QUEUE, *routed})


def _broker_redis():
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=0.5, socket_connect_timeout=0.5)
    return _redis


def queue_depth_collector():
    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return []
    family = GaugeMetricFamily("celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"])
    client = _broker_redis()
    for queue in platform_queues():
        family.add_metric([queue], client.llen(queue))
    return [family]


register_collector("celery_queue_length", queue_depth_collector)
