"""Queueing strategies' Celery tasks by their registered names: strategies.tasks calls the services, so the
services reach the tasks through Celery's registry (StrategiesConfig.ready imports strategies.tasks)
instead of importing back."""

from celery import current_app
from django.db import transaction


def task_queue(task: str, *args) -> None:
    current_app.tasks[f"strategies.tasks.{task}"].delay(*args)


def tasks_queue_on_commit(task: str, calls: list[tuple]) -> None:
    """One `task` per argument tuple, once the current transaction commits (never for a write that rolled back)."""
    transaction.on_commit(lambda: [task_queue(task, *args) for args in calls])
