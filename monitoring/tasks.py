from celery import shared_task

from .deliveries import DeliveryFailed, delivery_send


@shared_task(name="monitoring.ping", ignore_result=False)
def ping(payload: str = "ping") -> dict[str, str]:
    """Smoke task: proves a real worker picked the message up and answered."""
    import os

    from .tracing import current_request_id

    # The request id comes back too: it shows the id of the request that queued the task reached the worker.
    return {"reply": f"pong:{payload}", "worker_pid": str(os.getpid()), "request_id": current_request_id() or ""}


@shared_task(
    bind=True,
    name="monitoring.deliver",
    autoretry_for=(DeliveryFailed,),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def deliver(self, delivery_id: int) -> str:
    """Send one notification or alert message; a failure is retried with exponential backoff."""
    return delivery_send(delivery_id=delivery_id, final=self.request.retries >= self.max_retries)


@shared_task(name="monitoring.alert_rules_evaluate")
def alert_rules_evaluate() -> dict[str, str]:
    from .alerting import alert_rules_evaluate as evaluate

    return evaluate()
