"""Fault tests: live orders through REAL Celery workers on PostgreSQL + Redis against the fake Angel One.

Each prints its figures (run with -s to see them). Timeouts, grace periods and sweeps are shortened by
settings so that the whole file stays within a few minutes.
"""

import json
import os
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.conf import settings

from accounts.selectors import default_account_for
from brokers.angelone.adapter import AngelOneBroker
from brokers.models import BrokerAccount
from brokers.resilience import breaker_reset_all, breaker_state
from core.errors import ServiceUnavailable
from orders import services, tasks
from orders.models import TERMINAL, Order, OrderStatus, Position
from tests.conftest import requires_postgres, requires_redis
from tests.orders.conftest import params, set_quote

from .conftest import live_trader

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), requires_postgres(), requires_redis()]
GRACE = 3.0


@pytest.fixture
def faults_marker():
    from pathlib import Path
    from shutil import rmtree

    rmtree(Path(settings.VAR_DIR) / "faults", ignore_errors=True)


@pytest.fixture
def live_env(fake, settings):
    """What the worker processes and this process share: the fake's address, short timeouts and grace."""
    env = {
        "ANGELONE_ROOT_URL": fake.url,
        "ANGELONE_ORDER_WS_URL": fake.ws_url("smart-order-update"),
        "ANGELONE_FEED_WS_URL": fake.ws_url("smart-stream"),
        "BROKER_PUBLIC_IP_URL": f"{fake.url}/admin/ip",
        "ANGELONE_CONNECT_TIMEOUT_SECONDS": "0.5",
        "ANGELONE_READ_TIMEOUT_SECONDS": "0.5",
        "BROKER_RETRY_BASE_SECONDS": "0.01",
        "BROKER_RETRY_MAX_SECONDS": "0.05",
        "ORDER_SUBMIT_GRACE_SECONDS": str(GRACE),
        "OUTBOX_RESEND_AFTER_SECONDS": "3",
        "RECONCILE_LEASE_SECONDS": "10",  # a worker killed while reconciling holds the next run up this long
        "QUOTES_STALE_AFTER_SECONDS": "600",
        **{f"ANGELONE_RATE_LIMIT_{b}": "50/s" for b in ("ORDERBOOK", "TRADEBOOK", "POSITIONS", "HOLDINGS", "LOGIN")},
    }
    settings.ORDER_SUBMIT_GRACE_SECONDS = GRACE
    settings.OUTBOX_RESEND_AFTER_SECONDS = 3
    from trading.celery import app

    with app.connection_for_write() as conn:  # messages an interrupted earlier run left in Redis
        for queue in ("broker", "default"):
            conn.default_channel.queue_purge(queue)
    settings.QUOTES_STALE_AFTER_SECONDS = 600
    return env


def wait_for(predicate, timeout: float, what: str, tick=None, user=None) -> float:
    started = last_tick = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            where = describe(user) if user else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what} {where}")
        if tick and time.monotonic() - last_tick > 1.5:  # beat's pace, roughly
            tick()
            last_tick = time.monotonic()
        time.sleep(0.2)
    return time.monotonic() - started


def describe(user) -> str:
    """Where the orders are, for a failure message."""
    lines = [str(Counter(Order.objects.filter(user=user).values_list("status", flat=True)))]
    for order in Order.objects.filter(user=user).exclude(status__in=TERMINAL)[:5]:
        lines.append(f"#{order.id} {order.status}: " + " | ".join(e.reason for e in order.events.all()))
    return "\n".join(lines)


def sweep() -> None:
    """What beat does every few seconds, run by the worker."""
    tasks.outbox_sweep.apply_async().get(timeout=60)
    tasks.reconcile.apply_async().get(timeout=120)


def place(user, instrument, **kw) -> Order:
    order, _ = services.order_place(user=user, instrument=instrument, params=params(**kw))
    return order


def open_count(user) -> int:
    return Order.objects.filter(user=user).exclude(status__in=TERMINAL).count()


def figures(name: str, **values) -> None:
    print(f"\nFIGURES {name}: {json.dumps(values, default=str)}")


def tags_at_fake(fake) -> Counter:
    return Counter(row["ordertag"] for row in fake.state.orders.values())


def test_500_live_orders_while_the_broker_fails_30_and_times_out_10_percent_none_lost_none_twice(
    fake, market, live_env, exclusive_workers
):
    count = int(os.environ.get("FAULT_TEST_ORDERS", "500"))
    exclusive_workers(
        **live_env,
        BROKER_BREAKER_FAIL_MAX="100000",
        ANGELONE_RATE_LIMIT_ORDERS="40/s,10000/m,100000/h",
        ORDER_RATE_REGULATORY_PER_SECOND="40",
    )
    user = live_trader(funds="5000000")
    fake.faults(error_rate=0.3, slow_rate=0.1, slow_seconds=0.8)
    started = time.monotonic()
    for n in range(count):
        if n % 100 == 0:
            set_quote("NSE", "SBIN-EQ", "800.00", bid="799.95", ask="800.05")
        place(user, market["SBIN-EQ"], quantity=1)
    placed_in = time.monotonic() - started
    settled_in = wait_for(lambda: open_count(user) == 0, 240, "every order to end", tick=sweep, user=user)
    fake.faults(error_rate=0.0, slow_rate=0.0)

    orders = {o.broker_tag: o for o in Order.objects.filter(user=user)}
    at_fake = tags_at_fake(fake)
    statuses = Counter(o.status for o in orders.values())
    duplicated = [tag for tag, n in at_fake.items() if n > 1]
    orphans = [tag for tag in at_fake if tag not in orders]
    lost = [t for t, o in orders.items() if o.status == OrderStatus.FILLED and at_fake[t] != 1]
    rejected_but_there = [t for t, o in orders.items() if o.status == OrderStatus.REJECTED and at_fake[t]]
    rows = {row["ordertag"]: row for row in fake.state.orders.values()}
    ids_differ = [t for t, o in orders.items() if t in rows and o.broker_order_id != rows[t]["orderid"]]
    figures(
        "500_orders",
        orders=count,
        placed_in_s=round(placed_in, 1),
        settled_in_s=round(settled_in, 1),
        statuses=dict(statuses),
        at_broker=sum(at_fake.values()),
        duplicated=len(duplicated),
        lost=len(lost),
        orphans=len(orphans),
        stats=fake.admin("GET", "stats")["requests"],
        reconciled=Order.objects.filter(user=user, events__actor="reconciler").distinct().count(),
        sent_again=Order.objects.filter(user=user, events__actor="reconciler", events__to_status="NEW").count(),
    )
    assert set(statuses) <= {OrderStatus.FILLED, OrderStatus.REJECTED}
    assert (duplicated, orphans, lost, rejected_but_there, ids_differ) == ([], [], [], [], [])
    assert sum(at_fake.values()) == statuses[OrderStatus.FILLED]
    assert Position.objects.get(account__user=user).net_quantity == statuses[OrderStatus.FILLED]


def test_a_placement_whose_answer_is_lost_is_found_by_tag_and_placed_once(fake, market, live_env, exclusive_workers):
    exclusive_workers(**live_env)
    user = live_trader()
    fake.faults(lose_next_place=1)
    order = place(user, market["SBIN-EQ"], quantity=3)
    wait_for(lambda: Order.objects.get(id=order.id).status == OrderStatus.UNKNOWN, 30, "the order to be UNKNOWN")
    took = wait_for(
        lambda: Order.objects.get(id=order.id).status == OrderStatus.FILLED, 60, "reconciliation", sweep, user
    )
    order.refresh_from_db()
    figures("lost_answer", reconciled_in_s=round(took, 1), history=[e.to_status for e in order.events.all()])
    assert tags_at_fake(fake) == {order.broker_tag: 1}
    assert order.events.last().actor == "reconciler" and order.filled_quantity == 3


def test_when_the_broker_goes_down_the_breaker_opens_orders_are_refused_fast_and_trading_resumes(
    fake, market, live_env, exclusive_workers, settings
):
    breaker = {"BROKER_BREAKER_FAIL_MAX": "3", "BROKER_BREAKER_RESET_SECONDS": "2", "BROKER_READ_RETRIES": "0"}
    exclusive_workers(**live_env, **breaker)
    settings.BROKER_BREAKER_FAIL_MAX, settings.BROKER_BREAKER_RESET_SECONDS = 3, 2
    breaker_reset_all()
    user = live_trader()
    broker_account = BrokerAccount.objects.get(account__user=user)
    assert place(user, market["SBIN-EQ"]).pk  # logs in while the broker is up
    wait_for(lambda: open_count(user) == 0, 30, "the first order to fill")

    fake.down()
    waiting = [place(user, market["SBIN-EQ"]) for _ in range(3)]
    wait_for(lambda: breaker_state("angelone", broker_account.pk) == "open", 30, "the breaker to open", sweep)
    refusals = []
    for _ in range(5):
        started = time.perf_counter()
        with pytest.raises(ServiceUnavailable) as refused:
            place(user, market["SBIN-EQ"])
        refusals.append((time.perf_counter() - started) * 1000)
        assert refused.value.code == "broker_unavailable"
    assert Order.objects.filter(user=user).count() == 4  # refused orders are never stored

    fake.up()
    resumed = wait_for(lambda: open_count(user) == 0, 60, "the waiting orders to go out", sweep)
    assert breaker_state("angelone", broker_account.pk) == "closed"
    after = place(user, market["SBIN-EQ"])
    wait_for(
        lambda: Order.objects.get(id=after.id).status == OrderStatus.FILLED, 30, "a new order to fill", sweep, user
    )
    figures("broker_down", refusal_ms=[round(ms, 2) for ms in refusals], resumed_in_s=round(resumed, 1))
    assert all(Order.objects.get(id=o.id).status == OrderStatus.FILLED for o in waiting)
    assert sum(tags_at_fake(fake).values()) == 5 and max(tags_at_fake(fake).values()) == 1


def test_two_worker_processes_hammering_one_account_never_exceed_the_order_rate_at_the_broker(
    fake, market, live_env, exclusive_workers
):
    exclusive_workers(**live_env)
    exclusive_workers(**live_env)
    user = live_trader()
    limit = min(int(settings.ANGELONE_RATE_LIMITS["orders"].split("/")[0]), settings.ORDER_RATE_REGULATORY_PER_SECOND)
    orders = [place(user, market["SBIN-EQ"], order_type="LIMIT", price="700") for _ in range(60)]
    took = wait_for(
        lambda: (
            open_count(user) == 0
            or not Order.objects.filter(
                user=user, status__in=[OrderStatus.NEW, OrderStatus.SUBMITTED, OrderStatus.UNKNOWN]
            ).exists()
        ),
        90,
        "every order to reach the broker",
        sweep,
    )
    stats = fake.admin("GET", "stats")
    figures(
        "two_workers",
        orders=len(orders),
        took_s=round(took, 1),
        limit=limit,
        max_per_second=stats["max_order_requests_per_second"],
    )
    assert stats["max_order_requests_per_second"] <= limit
    assert sorted(tags_at_fake(fake).values()) == [1] * 60


def test_a_worker_killed_after_sending_before_recording_is_found_by_reconciliation_and_placed_once(
    fake, market, live_env, exclusive_workers, faults_marker
):
    doomed = exclusive_workers(**live_env, TRADING_FAULTS="order_submit.after_broker_call")
    user = live_trader()
    order = place(user, market["SBIN-EQ"], quantity=2)
    wait_for(lambda: not doomed.alive(), 30, "the worker to die after the broker call")
    assert Order.objects.get(id=order.id).status == OrderStatus.SUBMITTED  # we never recorded the answer
    assert tags_at_fake(fake) == {order.broker_tag: 1}  # but the broker has it

    exclusive_workers(**live_env)
    took = wait_for(
        lambda: Order.objects.get(id=order.id).status == OrderStatus.FILLED, 60, "reconciliation", sweep, user
    )
    order.refresh_from_db()
    figures("sigkill_after_send", reconciled_in_s=round(took, 1))
    assert tags_at_fake(fake) == {order.broker_tag: 1}
    assert [(e.to_status, e.actor) for e in order.events.all()] == [
        ("NEW", f"user:{user.username}"),
        ("SUBMITTED", "worker"),
        ("FILLED", "reconciler"),
    ]


def test_a_full_live_round_trip_through_a_worker(fake, market, live_env, exclusive_workers):
    exclusive_workers(**live_env)
    user = live_trader()
    resting = place(user, market["SBIN-EQ"], quantity=5, order_type="LIMIT", price="700")
    wait_for(lambda: Order.objects.get(id=resting.id).status == OrderStatus.OPEN, 30, "the order to rest")

    resting.refresh_from_db()
    services.order_modify(user=user, order=resting, changes={"price": Decimal("710"), "quantity": 6})
    wait_for(lambda: Order.objects.get(id=resting.id).status == OrderStatus.OPEN, 30, "the modification")
    row = fake.state.orders[resting.broker_order_id]
    assert (row["price"], row["quantity"]) == ("710", "6")
    services.order_cancel(user=user, order=Order.objects.get(id=resting.id))
    wait_for(lambda: Order.objects.get(id=resting.id).status == OrderStatus.CANCELLED, 30, "the cancellation")
    assert fake.state.orders[resting.broker_order_id]["status"] == "cancelled"

    bought = place(user, market["SBIN-EQ"], quantity=4)
    wait_for(lambda: Order.objects.get(id=bought.id).status == OrderStatus.FILLED, 30, "the fill")
    position = Position.objects.get(account__user=user, instrument=market["SBIN-EQ"])
    broker = AngelOneBroker(default_account_for(user))
    [theirs] = broker.positions()
    assert (
        (position.net_quantity, position.average_price)
        == (theirs.net_quantity, theirs.average_price)
        == (
            4,
            Decimal("800"),
        )
    )
    assert broker.funds().used_margin == Decimal("3200.00")
    funds = default_account_for(user).funds
    funds.refresh_from_db()
    assert (funds.reserved, funds.margin_used) == (0, Decimal("3200.0000"))
