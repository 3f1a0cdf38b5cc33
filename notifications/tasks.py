from celery import shared_task

from .deliveries import DeliveryFailed, delivery_send


# The name is monitoring's, where deliveries began: messages queued before a deploy still find their task.
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


@shared_task(name="notifications.stream_log_trim")
def stream_log_trim() -> int:
    """Forget the stream's private events older than the resume window."""
    from .stream_log import stream_log_trim as trim

    return trim()
