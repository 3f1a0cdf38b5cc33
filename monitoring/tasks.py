import os

from celery import shared_task

from .alerting import alert_rules_evaluate as evaluate
from .tracing import current_request_id


@shared_task(name="monitoring.ping", ignore_result=False)
def ping(payload: str = "ping") -> dict[str, str]:
    """Smoke task: proves a real worker picked the message up and answered."""
    # The request id comes back too: it shows the id of the request that queued the task reached the worker.
    return {"reply": f"pong:{payload}", "worker_pid": str(os.getpid()), "request_id": current_request_id() or ""}


@shared_task(name="monitoring.alert_rules_evaluate")
def alert_rules_evaluate() -> dict[str, str]:
    return evaluate()
