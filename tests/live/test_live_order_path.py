"""Live orders through the order path against the fake Angel One over real HTTP, services called in-process:
late rejections, reconciliation by tag, external orders, position mismatches, the live gate, broker errors."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import TradingAccount
from brokers.angelone.adapter import AngelOneBroker
from brokers.base import OrderType, PlaceOrderRequest, Product, Side, Validity
from brokers.models import BrokerAccount
from brokers.resilience import breaker_for
from brokers.services import broker_account_disconnect
from core import events
from core.errors import RuleViolation, ServiceUnavailable
from marketdata.models import Instrument
from notifications.models import Notification
from orders import services
from orders.events import OrderRejectedByBroker, PositionMismatchFound
from orders.models import ExternalOrder, Order, OrderStatus, Position, PositionMismatch
from tests.conftest import jwt_client
from tests.orders.conftest import params

pytestmark = pytest.mark.django_db


def place(user, instrument, **kw) -> Order:
    order, created = services.order_place(user=user, instrument=instrument, params=params(**kw))
    assert created
    return order


def submit(run, order) -> Order:
    run(services.order_submit, order_id=order.id)
    order.refresh_from_db()
    return order


def reconcile(run, *, after_grace=False):
    now = timezone.now() + timedelta(seconds=settings.ORDER_SUBMIT_GRACE_SECONDS + 1 if after_grace else 0)
    return run(services.orders_reconcile, now=now)


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def history(order) -> list[tuple[str, str]]:
    return [(e.to_status, e.reason) for e in order.events.order_by("at", "id")]


@pytest.fixture
def captured(monkeypatch):
    """The typed events monitoring will subscribe to ("orders."), by type."""
    monkeypatch.setattr(events, "_handlers", list(events._handlers))  # subscriptions end with the test
    seen = {OrderRejectedByBroker: [], PositionMismatchFound: []}
    events.subscribe("orders.", lambda event: seen[type(event)].append(event))
    return seen


def test_a_live_market_order_fills_at_the_broker_and_becomes_a_position(live, market, fake, run):
    order = submit(run, place(live, market["SBIN-EQ"], quantity=3))
    assert (order.status, order.filled_quantity, order.average_price) == (OrderStatus.FILLED, 3, Decimal("800"))
    [row] = fake.state.orders.values()
    assert (row["ordertag"], row["orderid"]) == (order.broker_tag, order.broker_order_id)
    assert Position.objects.get(account__user=live, instrument=market["SBIN-EQ"]).net_quantity == 3


def test_a_late_rejection_ends_the_order_rejected_with_the_brokers_text_and_tells_the_trader(
    live, market, fake, run, captured
):
    fake.faults(late_reject_next=1, late_reject_after=0.05, late_reject_text="RMS:Margin Exceeds")
    order = submit(run, place(live, market["SBIN-EQ"], quantity=2))
    assert order.status == OrderStatus.OPEN  # accepted: shown as open at the broker, never as done
    wait_for(lambda: next(iter(fake.state.orders.values()))["status"] == "rejected")

    assert reconcile(run)["refreshed"] == 1
    order.refresh_from_db()
    assert (order.status, order.rejection_code) == (OrderStatus.REJECTED, "broker_rejected")
    assert history(order)[-2:] == [
        ("OPEN", "Accepted by the broker"),
        ("REJECTED", "Rejected by the broker: RMS:Margin Exceeds"),
    ]
    notice = Notification.objects.get(user=live, order_id=order.id)
    assert notice.level == "error" and "after accepting it: RMS:Margin Exceeds" in notice.message
    assert [(e.order_id, e.code, e.late) for e in captured[OrderRejectedByBroker]] == [
        (order.id, "broker_rejected", True)
    ]
    assert order.account.funds.reserved == 0


def test_a_lost_answer_leaves_the_order_unknown_until_reconciliation_finds_it_by_tag(live, market, fake, run):
    fake.faults(lose_next_place=1)
    order = submit(run, place(live, market["SBIN-EQ"], quantity=4))
    assert order.status == OrderStatus.UNKNOWN
    assert order.events.last().data["code"] in ("broker_network_error", "broker_internal_error")

    counts = reconcile(run, after_grace=True)
    order.refresh_from_db()
    assert (counts["found"], counts["resent"]) == (1, 0)
    assert (order.status, order.filled_quantity) == (OrderStatus.FILLED, 4)
    assert [r["ordertag"] for r in fake.state.orders.values()] == [order.broker_tag]  # placed once


def test_an_order_absent_after_the_grace_is_sent_again_once_and_then_rejected(live, market, fake, run, captured):
    fake.faults(error_rate=1.0)  # an HTML error page: ambiguous, and nothing was booked
    order = submit(run, place(live, market["SBIN-EQ"]))
    assert order.status == OrderStatus.UNKNOWN
    assert order.events.last().data == {"code": "broker_internal_error"}
    fake.faults(error_rate=0.0)
    assert reconcile(run)["resent"] == 0  # within the grace it may still be on its way

    assert reconcile(run, after_grace=True)["resent"] == 1
    fake.faults(error_rate=1.0)
    assert submit(run, order).status == OrderStatus.UNKNOWN
    fake.faults(error_rate=0.0)
    assert reconcile(run, after_grace=True)["rejected"] == 1

    order.refresh_from_db()
    assert (order.status, order.rejection_code) == (OrderStatus.REJECTED, "broker_order_lost")
    assert not fake.state.orders  # it never reached the broker
    assert Notification.objects.filter(user=live, order_id=order.id, code="broker_order_lost").exists()
    assert order.account.funds.reserved == 0


def test_orders_placed_in_the_brokers_own_app_are_recorded_as_external_orders(live, market, fake, run):
    account = TradingAccount.objects.get(user=live)
    outside = PlaceOrderRequest(
        tag="MOBILE",
        exchange="NSE",
        symbol="INFY-EQ",
        token="1594",
        side=Side.SELL,
        quantity=7,
        order_type=OrderType.LIMIT,
        product=Product.CNC,
        validity=Validity.DAY,
        price=Decimal("1600"),
    )
    AngelOneBroker(account).place_order(outside)

    assert reconcile(run)["external"] == 1
    external = ExternalOrder.objects.get(account=account)
    assert (external.symbol, external.side, external.quantity, external.status, external.price) == (
        "INFY-EQ",
        "SELL",
        7,
        "open",
        Decimal("1600"),
    )
    assert Notification.objects.filter(user=live, code="external_order").count() == 1
    assert not Order.objects.filter(account=account).exists()  # recorded beside ours, never adopted

    broker_order_id = external.broker_order_id
    fake.admin("POST", f"orders/{broker_order_id}/fill", {"price": "1600"})
    assert reconcile(run)["external"] == 0  # known: brought up to date, not recorded twice
    external.refresh_from_db()
    assert (external.status, external.filled_quantity) == ("complete", 7)


def test_positions_that_disagree_are_recorded_with_both_sides_and_never_overwritten(live, market, fake, run, captured):
    submit(run, place(live, market["SBIN-EQ"], quantity=5))
    # The fake also reports a delivery holding of 10 INFY-EQ bought outside the platform.
    counts = reconcile(run)
    assert counts["mismatches"] == 1
    mismatch = PositionMismatch.objects.get(account__user=live)
    assert (mismatch.symbol, mismatch.product, mismatch.platform_quantity, mismatch.broker_quantity) == (
        "INFY-EQ",
        "CNC",
        0,
        10,
    )
    assert mismatch.broker_average == Decimal("1400.5") and mismatch.resolved_at is None
    assert not Position.objects.filter(account__user=live, instrument=market["INFY-EQ"]).exists()
    assert [(e.symbol, e.platform_quantity, e.broker_quantity) for e in captured[PositionMismatchFound]] == [
        ("INFY-EQ", 0, 10)
    ]
    assert reconcile(run)["mismatches"] == 0  # still open: one record, one alert
    assert PositionMismatch.objects.filter(account__user=live).count() == 1


def test_new_live_orders_are_refused_with_broker_unavailable_while_the_breaker_is_open(live, market, fake):
    broker_account = BrokerAccount.objects.get(account__user=live)
    breaker_for("angelone", broker_account.pk).open()
    with pytest.raises(ServiceUnavailable) as refused:
        place(live, market["SBIN-EQ"])
    assert refused.value.code == "broker_unavailable"
    response = jwt_client(live).post(
        "/api/v1/orders/",
        {
            "exchange": "NSE",
            "symbol": "SBIN-EQ",
            "side": "BUY",
            "quantity": 1,
            "order_type": "MARKET",
            "product": "CNC",
        },
        format="json",
    )
    assert (response.status_code, response.json()["error"]["code"]) == (503, "broker_unavailable")
    assert not Order.objects.exists()


def test_a_wrong_pin_rejects_the_order_with_broker_session_expired_and_later_orders_are_refused_at_once(
    db, fake, market, run
):
    from .conftest import live_trader

    user = live_trader(pin="0000")
    order = submit(run, place(user, market["SBIN-EQ"]))
    assert (order.status, order.rejection_code) == (OrderStatus.REJECTED, "broker_session_expired")
    assert "Invalid clientcode or password" in order.rejection_reason
    assert Notification.objects.filter(user=user, order_id=order.id, code="broker_session_expired").exists()
    assert BrokerAccount.objects.get(account__user=user).status == BrokerAccount.Status.DISCONNECTED
    with pytest.raises(RuleViolation) as refused:
        place(user, market["SBIN-EQ"])
    assert refused.value.code == "broker_session_expired"
    assert Order.objects.count() == 1


def test_a_symbol_the_broker_does_not_know_is_rejected_with_its_code(live, market, run):
    unknown = Instrument.objects.get(symbol="SBIN-EQ")
    unknown.pk, unknown.token, unknown.symbol = None, "999999", "NOPE-EQ"
    unknown.save()
    from tests.orders.conftest import set_quote

    set_quote("NSE", "NOPE-EQ", "10.00")
    order = submit(run, place(live, unknown))
    assert (order.status, order.rejection_code) == (OrderStatus.REJECTED, "symbol_not_found")
    assert order.rejection_reason == "Rejected by the broker: AB1009: Symbol not found"


def test_a_cancel_the_broker_cannot_even_hear_puts_the_order_back_and_says_why(live, market, fake, run):
    order = submit(run, place(live, market["SBIN-EQ"], order_type="LIMIT", price="700"))
    assert order.status == OrderStatus.OPEN
    broker_account_disconnect(broker_account=BrokerAccount.objects.get(account__user=live))
    run(services.order_cancel, user=live, order=order)
    run(services.order_cancel_submit, order_id=order.id)

    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN  # still working at the broker: never shown as cancelled
    last = order.events.last()
    assert last.data == {"code": "broker_session_expired"}
    assert last.reason.startswith("Cancellation refused by the broker: Disconnected from Angel One, log in again")
    assert Notification.objects.filter(user=live, order_id=order.id, code="broker_session_expired").exists()
