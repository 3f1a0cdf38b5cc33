"""Per-order latency by step, from the order's events with known times.

Only the platform's own time (accepted -> sent to the broker) is counted and drawn; the broker's answer
and the exchange's fill are listed, not counted (a resting limit order can wait hours for its fill)."""

from datetime import UTC, datetime, timedelta

import pytest

from orders import services
from orders.books import risk_usage_verify
from orders.latency import order_latency
from orders.models import Order, OrderEvent, OrderStatus
from tests.accounts.factories import UserFactory
from tests.orders.conftest import params

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 27, 4, 0, 0, tzinfo=UTC)


def _at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def _order_with_events(trader, instrument, events: list[tuple[str, int]], *, status: str) -> Order:
    """An order placed at T0 whose history is `events`: (to_status, ms after T0)."""
    order, _ = services.order_place(user=trader, instrument=instrument, params=params(quantity=2))
    order.events.all().delete()
    previous = ""
    for to_status, ms in events:
        row = OrderEvent.objects.create(order=order, from_status=previous, to_status=to_status, actor="test")
        OrderEvent.objects.filter(id=row.id).update(at=_at(ms))  # `at` is auto_now_add: set it afterwards
        previous = to_status
    Order.objects.filter(id=order.id).update(created_at=T0, status=status)
    risk_usage_verify([order.account_id])  # the status was set behind the books: its running usage from the rows
    return Order.objects.get(id=order.id)


def _ms(latency) -> dict:
    return {step.key: step.ms for step in latency.steps}


def test_a_filled_order_has_each_step_since_the_one_before(market, trader):
    events = [("NEW", 0), ("SUBMITTED", 40), ("OPEN", 160), ("PARTIALLY_FILLED", 300), ("FILLED", 1160)]
    order = _order_with_events(trader, market["SBIN-EQ"], events, status=OrderStatus.FILLED)
    latency = order_latency(order=order)
    assert _ms(latency) == {"accepted": 0, "sent": 40, "acknowledged": 120, "filled": 1000}
    assert {step.key: step.ours for step in latency.steps} == {
        "accepted": True,
        "sent": True,
        "acknowledged": False,
        "filled": False,
    }


def test_only_the_platforms_time_is_counted_not_the_brokers_or_the_exchanges(market, trader):
    events = [("NEW", 0), ("SUBMITTED", 40), ("OPEN", 160), ("FILLED", 7_200_000)]  # a limit order filled 2 h later
    order = _order_with_events(trader, market["SBIN-EQ"], events, status=OrderStatus.FILLED)
    latency = order_latency(order=order)
    assert latency.platform_ms == 40
    widths = {step.key: step.width_pct for step in latency.steps}
    assert widths == {"accepted": 0.0, "sent": 100.0, "acknowledged": 0.0, "filled": 0.0}
    assert [step.key for step in latency.ours] == ["accepted", "sent"]


def test_a_rejected_order_shows_where_it_stopped(market, trader):
    events = [("NEW", 0), ("SUBMITTED", 25), ("REJECTED", 525)]
    order = _order_with_events(trader, market["SBIN-EQ"], events, status=OrderStatus.REJECTED)
    latency = order_latency(order=order)
    assert _ms(latency) == {"accepted": 0, "sent": 25, "acknowledged": None, "filled": None, "rejected": 500}
    assert latency.platform_ms == 25


def test_a_market_order_filled_at_once_has_no_acknowledgement_step(market, trader):
    events = [("NEW", 0), ("SUBMITTED", 10), ("FILLED", 210)]
    order = _order_with_events(trader, market["SBIN-EQ"], events, status=OrderStatus.FILLED)
    assert _ms(order_latency(order=order)) == {"accepted": 0, "sent": 10, "acknowledged": None, "filled": 200}


def test_an_order_still_waiting_for_a_worker_has_no_total(market, trader):
    order = _order_with_events(trader, market["SBIN-EQ"], [("NEW", 0)], status=OrderStatus.NEW)
    latency = order_latency(order=order)
    assert latency.platform_ms is None
    assert [step.key for step in latency.reached] == ["accepted"]


def test_the_order_page_shows_the_steps_and_a_bar_without_inline_styles(client, market, trader):
    events = [("NEW", 0), ("SUBMITTED", 40), ("OPEN", 160), ("FILLED", 1160)]
    order = _order_with_events(trader, market["SBIN-EQ"], events, status=OrderStatus.FILLED)
    client.force_login(trader)
    body = client.get(f"/trading/orders/{order.id}/").content.decode()
    section = body[body.index('data-testid="order-latency"') :]
    section = section[: section.index("</section>")]
    assert 'data-testid="latency-sent">+40 ms' in section
    assert 'data-testid="latency-acknowledged">+120 ms' in section
    assert 'data-testid="latency-filled">+1000 ms' in section
    assert section.count("broker and exchange, not counted") == 2  # acknowledged and filled
    assert "Platform time" in section
    assert 'data-testid="latency-total">40 ms' in section
    assert 'width="100.00"' in section  # sending is all of the platform's time, as an SVG attribute
    assert "style=" not in section


def test_the_admin_order_page_shows_the_latency(client, market, trader):
    events = [("NEW", 0), ("SUBMITTED", 40), ("OPEN", 160), ("FILLED", 1160)]
    order = _order_with_events(trader, market["SBIN-EQ"], events, status=OrderStatus.FILLED)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    body = client.get(f"/admin/orders/order/{order.id}/change/").content.decode()
    assert 'data-testid="latency-total">40 ms' in body
    assert "<svg" in body
