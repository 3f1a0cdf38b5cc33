"""The order path's metrics (served at /metrics by monitoring).

Counted where the fact is written: placement (accepted or refused, with the
refusal's stable code) and every status transition (`orders.lifecycle`, the one
place an order's history is appended), so nothing that changes an order can
bypass them. Latencies run from the order's creation (the POST) to the broker's
first answer (ack) and to its last fill.
"""

from core import clock
from monitoring import perf_samples
from monitoring.metrics import counter, histogram

from .models import OrderStatus

placed = counter("orders_placed_total", "Orders accepted and stored (NEW), by source.", ("source",))
rejected = counter(
    "orders_rejected_total",
    "Orders refused, by stable code and stage (placement: validation, funds, risk; broker).",
    ("code", "stage"),
)
filled = counter("orders_filled_total", "Orders completely filled.")
cancelled = counter("orders_cancelled_total", "Orders cancelled.")
ack_seconds = histogram("order_ack_seconds", "From the order's POST to the broker's first answer.")
fill_seconds = histogram("order_fill_seconds", "From the order's POST to its complete fill.")

# What a submitted order becomes when the broker has answered (accepted or settled at once).
_ACKED = {OrderStatus.OPEN, OrderStatus.TRIGGER_PENDING, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED}


def order_placed(source: str) -> None:
    placed.labels(source).inc()


def order_refused(code: str) -> None:
    rejected.labels(code or "unknown", "placement").inc()


def order_transition(order, from_status: str, to_status: str) -> None:
    """Called with every OrderEvent; placement-time refusals are counted by `order_refused` instead."""
    since_post = max(0.0, (clock.now() - order.created_at).total_seconds())
    if from_status == OrderStatus.SUBMITTED and to_status in _ACKED:
        ack_seconds.observe(since_post)
        perf_samples.record("order", "POST to ack", since_post)
    if to_status == OrderStatus.FILLED:
        filled.inc()
        fill_seconds.observe(since_post)
        perf_samples.record("order", "POST to fill", since_post)
    elif to_status == OrderStatus.CANCELLED:
        cancelled.inc()
    elif to_status == OrderStatus.REJECTED and from_status:
        rejected.labels(order.rejection_code or "unknown", "broker").inc()
