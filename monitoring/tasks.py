from celery import shared_task


@shared_task(name="monitoring.ping", ignore_result=False)
def ping(payload: str = "ping") -> dict[str, str]:
    """Smoke task: proves a real worker picked the message up and answered."""
    import os

    return {"reply": f"pong:{payload}", "worker_pid": str(os.getpid())}
