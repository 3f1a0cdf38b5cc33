"""The product's Celery app with per-task accounting, for `benchmarks/orders.py --trace/--profile` only.

Run as `celery -A benchmarks._traced_celery worker ...`: the same app
(trading.celery), plus signal handlers that account every task by name in
each prefork child (see benchmarks/_tracing.py).
"""

from celery.signals import task_postrun, task_prerun, worker_process_init, worker_process_shutdown

from benchmarks._tracing import Recorder
from trading.celery import app  # noqa: F401 (what `-A` finds)

recorder = Recorder("worker", profiles_on_periodic_dump=True)
_tokens: dict[str, object] = {}


@worker_process_init.connect
def _child_started(**_kwargs) -> None:
    recorder.patch()


@task_prerun.connect
def _before(task_id=None, task=None, **_kwargs) -> None:
    recorder.patch()
    _tokens[task_id] = recorder.begin(task.name if task is not None else "?")


@task_postrun.connect
def _after(task_id=None, **_kwargs) -> None:
    token = _tokens.pop(task_id, None)
    if token is not None:
        recorder.end(token)


@worker_process_shutdown.connect
def _child_stopping(**_kwargs) -> None:
    recorder.dump()
