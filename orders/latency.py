"""One order's latency, step by step, read from its events (a selector: it reads, it never writes).

The steps an order goes through on its way to the exchange:
  accepted      the order was checked and saved (NEW): its created_at, or its NEW event
  sent          a worker picked it up and sent it to the broker (SUBMITTED), or submitted_at
  acknowledged  the broker accepted it (OPEN, TRIGGER_PENDING or a first part fill)
  filled        the last of it filled (FILLED)
An order that ended otherwise (rejected, cancelled, expired) gets a last step named after its end.
Each step reached carries the milliseconds since the step reached before it; steps never reached
are listed without a time, so a gap shows where the order stopped.

Only accepted -> sent is the platform's own time (checks done, a worker picked the order up and sent
it). What follows is the broker's answer and the exchange's (or the paper exchange's) match, which can
be hours for a resting limit order: those steps are shown but not counted in the platform time or the bar.
"""

from dataclasses import dataclass
from datetime import datetime

from .models import Order, OrderStatus

ACKNOWLEDGED = (OrderStatus.OPEN, OrderStatus.TRIGGER_PENDING, OrderStatus.PARTIALLY_FILLED)
ENDED_UNFILLED = (OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.EXPIRED)
STEPS = (("accepted", "Accepted"), ("sent", "Sent to broker"), ("acknowledged", "Acknowledged"), ("filled", "Filled"))
PLATFORM_STEPS = ("accepted", "sent")  # the platform's own; the rest is the broker's and the exchange's


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    at: datetime | None
    ms: int | None  # since the step reached before this one; None when not reached
    ours: bool = True  # the platform's time, counted; False: the broker's or the exchange's, shown only
    offset_pct: float = 0.0  # where its bar starts, in % of the platform time
    width_pct: float = 0.0


@dataclass(frozen=True)
class Latency:
    steps: list[Step]
    platform_ms: int | None  # from accepted to sent to the broker; None until it is sent

    @property
    def reached(self) -> list[Step]:
        return [step for step in self.steps if step.ms is not None]

    @property
    def ours(self) -> list[Step]:
        """The platform's steps reached: the bar's segments."""
        return [step for step in self.reached if step.ours]


def _first_times(order: Order) -> dict[str, datetime]:
    """When the order first reached each status, from its events (oldest first)."""
    first: dict[str, datetime] = {}
    for to_status, at in order.events.order_by("at", "id").values_list("to_status", "at"):
        first.setdefault(to_status, at)
    return first


def _earliest(first: dict[str, datetime], statuses) -> datetime | None:
    times = [first[status] for status in statuses if status in first]
    return min(times) if times else None


def _step_times(order: Order) -> dict[str, datetime | None]:
    first = _first_times(order)
    times = {
        "accepted": first.get(OrderStatus.NEW) or order.created_at,
        "sent": first.get(OrderStatus.SUBMITTED) or order.submitted_at or order.request_sent_at,
        "acknowledged": _earliest(first, ACKNOWLEDGED),
        "filled": first.get(OrderStatus.FILLED),
    }
    if order.status in ENDED_UNFILLED:
        times[order.status.lower()] = first.get(order.status) or order.updated_at
    return times


def _ms(later: datetime, earlier: datetime) -> int:
    return max(0, round((later - earlier).total_seconds() * 1000))


def _labels(times: dict) -> list[tuple[str, str]]:
    labels = list(STEPS)
    labels += [(key, key.capitalize()) for key in times if key not in dict(STEPS)]
    return labels


def order_latency(*, order: Order) -> Latency:
    """The order's steps with their times; a step out of order (clock skew) counts as 0 ms."""
    times = _step_times(order)
    start = times["accepted"]
    previous, spans = start, []
    for key, label in _labels(times):
        at = times.get(key)
        if at is None:
            spans.append((key, label, None, None))
            continue
        ms = 0 if key == "accepted" else _ms(at, previous)
        spans.append((key, label, at, ms))
        previous = max(previous, at)
    sent = times["sent"]
    platform = _ms(max(sent, start), start) if sent is not None else None
    return Latency(steps=_with_bars(spans, platform), platform_ms=platform)


def _with_bars(spans: list[tuple], platform: int | None) -> list[Step]:
    steps, offset = [], 0.0
    for key, label, at, ms in spans:
        ours = key in PLATFORM_STEPS
        width = round(100 * ms / platform, 2) if ours and platform and ms else 0.0
        steps.append(Step(key, label, at, ms, ours=ours, offset_pct=round(offset, 2), width_pct=width))
        offset += width
    return steps
