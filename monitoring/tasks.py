from celery import shared_task


@shared_task(name="monitoring.ping", ignore_result=False)
def ping(payload: str = "ping") -> dict[str, str]:
    """Smoke task: proves a real worker picked the message up and answered."""
    import os

    from .tracing import current_request_id

    # The request id comes back too: it shows the id of the request that queued the task reached the worker.
    return {"reply": f"pong:{payload}", "worker_pid": str(os.getpid()), "request_id": current_request_id() or ""}
