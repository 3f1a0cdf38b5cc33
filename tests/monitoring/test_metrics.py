"""Each metric moves when its event happens, seen through GET /metrics as Prometheus would read it."""

import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from brokers.angelone import endpoints as ep
from brokers.angelone.adapter import AngelOneBroker
from brokers.base import BrokerError
from brokers.resilience import guarded, limiter
from brokers.resilience.ratelimit import Rate
from marketdata.bus import Tick
from marketdata.feeds import FeedRunner
from marketdata.quotes import l1_clear, quotes_get
from monitoring.tasks import ping
from orders import services
from orders.models import Order, OrderStatus
from tests.conftest import jwt_client, requires_redis
from tests.monitoring.metrics_helpers import Watch, scrape, value

pytestmark = pytest.mark.django_db
BODY = {"exchange": "NSE", "symbol": "SBIN-EQ", "side": "BUY", "quantity": 5, "order_type": "MARKET", "product": "CNC"}


# --- HTTP ---------------------------------------------------------------------------------------


def test_a_request_is_counted_and_timed_under_its_route_name_not_its_path():
    watch = Watch()
    APIClient().get("/health/live")
    APIClient().get("/no/such/page/12345")

    assert watch.moved("http_requests_total", route="health-live", method="GET", status="2xx") == 1
    assert watch.moved("http_request_duration_seconds_count", route="health-live", method="GET") == 1
    assert watch.moved("http_requests_total", route="unmatched", status="4xx") == 1
    assert not any("12345" in str(labels) for _, labels in watch.after)


# --- Orders -------------------------------------------------------------------------------------


def test_an_order_placed_through_the_api_counts_as_placed_then_acknowledged_and_filled(market, trader, run):
    watch = Watch()
    response = jwt_client(trader).post("/api/v1/orders/", BODY, format="json")
    assert response.status_code == 201, response.content
    run(services.order_submit, order_id=response.json()["id"])

    assert Order.objects.get(id=response.json()["id"]).status == OrderStatus.FILLED
    assert watch.moved("orders_placed_total", source="api") == 1
    assert watch.moved("orders_filled_total") == 1
    assert watch.moved("order_ack_seconds_count") == 1
    assert watch.moved("order_fill_seconds_count") == 1


def test_a_refused_order_counts_as_rejected_under_its_code(market, trader):
    watch = Watch()
    response = jwt_client(trader).post("/api/v1/orders/", {**BODY, "quantity": 2000}, format="json")

    assert response.json()["error"]["code"] == "insufficient_funds"
    assert watch.moved("orders_rejected_total", code="insufficient_funds", stage="placement") == 1
    assert watch.moved("orders_placed_total") == 0


def test_a_cancelled_order_counts_as_cancelled(market, trader, run):
    limit = {**BODY, "order_type": "LIMIT", "price": "700.00"}  # far below the market: it rests
    order = Order.objects.get(id=jwt_client(trader).post("/api/v1/orders/", limit, format="json").json()["id"])
    run(services.order_submit, order_id=order.id)
    watch = Watch()
    order.refresh_from_db()
    run(services.order_cancel, user=trader, order=order)
    run(services.order_cancel_submit, order_id=order.id)

    assert Order.objects.get(id=order.id).status == OrderStatus.CANCELLED
    assert watch.moved("orders_cancelled_total") == 1


# --- Brokers ------------------------------------------------------------------------------------


def test_broker_calls_are_counted_and_timed_per_endpoint(live_account, fake):
    watch = Watch()
    AngelOneBroker(live_account.account).funds()

    assert watch.moved("broker_calls_total", broker="angelone", outcome="ok") >= 2  # login, then the funds read
    assert watch.moved("broker_call_duration_seconds_count", broker="angelone", endpoint=ep.RMS.path) == 1


def test_a_failed_broker_call_is_counted_as_an_error_of_its_class(live_account, fake, settings):
    settings.BROKER_READ_RETRIES = 0
    broker = AngelOneBroker(live_account.account)
    broker.profile()
    fake.faults(error_rate=1.0)
    watch = Watch()
    with pytest.raises(BrokerError):
        broker.funds()

    assert watch.moved("broker_calls_total", broker="angelone", endpoint=ep.RMS.path, outcome="error") == 1
    assert watch.moved("broker_call_errors_total", broker="angelone", endpoint=ep.RMS.path) == 1


class _Down(Exception):
    broker_health_failure = True


def _fail():
    raise _Down("no answer")


def test_the_breaker_state_gauge_shows_an_open_breaker(settings, fake):
    settings.BROKER_BREAKER_FAIL_MAX = 2
    for _ in range(2):
        with pytest.raises(_Down):
            guarded("angelone", 4242, _fail)

    assert value(scrape(), "broker_circuit_breaker_state", broker="angelone", account="4242") == 2


def test_a_call_that_waits_for_a_rate_limit_slot_is_counted(fake):
    watch = Watch()
    one_per_second = (Rate(1, 1),)
    limiter.acquire("angelone:METRICS1:orders", one_per_second, max_wait=3)
    limiter.acquire("angelone:METRICS1:orders", one_per_second, max_wait=3)

    assert watch.moved("broker_rate_limit_waits_total", bucket="orders") == 1
    assert watch.moved("broker_rate_limit_wait_seconds_total", bucket="orders") > 0


# --- Market data and backtests ------------------------------------------------------------------


def test_quote_lookups_count_hits_and_misses_per_cache_level(market):
    sbin = market["SBIN-EQ"].id
    l1_clear()
    watch = Watch()
    quotes_get([sbin])  # not in this process's L1: from L2 (Redis) or the database
    quotes_get([sbin])  # now in L1

    assert watch.moved("quote_cache_lookups_total", level="l1", result="miss") == 1
    assert watch.moved("quote_cache_lookups_total", level="l1", result="hit") == 1


class _TwoTicks:
    name, step_seconds, finished = "metrics-test", 0.01, False

    def __init__(self, instrument_id: int) -> None:
        self.instrument_id = instrument_id

    def subscribe(self, instrument_ids) -> None:
        pass

    def next_ticks(self, now: float) -> list[Tick]:
        self.finished = True
        return [Tick(self.instrument_id, Decimal("801"), now, 1), Tick(self.instrument_id, Decimal("802"), now, 1)]


def test_feed_ticks_are_counted_and_the_age_of_the_last_one_is_reported(market):
    watch = Watch()
    FeedRunner(_TwoTicks(market["SBIN-EQ"].id), flush_interval=0.01).run(duration=5)

    assert watch.moved("feed_ticks_total", source="metrics-test") == 2
    key = ("feed_last_tick_age_seconds", frozenset({("source", "metrics-test")}))
    assert key not in watch.before and 0 <= watch.after[key] < 600


def test_running_backtests_are_shown(user):
    from strategies.models import Backtest, RunStatus

    start = datetime(2026, 1, 1, tzinfo=UTC)
    run = dict(user=user, strategy="sma_cross", interval="1d", start=start, end=start, initial_cash=Decimal("100000"))
    Backtest.objects.create(**run, status=RunStatus.DONE)
    before = value(scrape(), "backtests_running", kind="backtest")
    Backtest.objects.create(**run, status=RunStatus.RUNNING)

    assert value(scrape(), "backtests_running", kind="backtest") == before + 1


# --- Across processes ---------------------------------------------------------------------------


@pytest.mark.worker
def test_a_task_run_by_a_real_worker_process_shows_in_the_web_processes_metrics(celery_worker):
    watch = Watch()
    result = ping.apply_async(args=["metrics"], queue="default").get(timeout=30)

    assert int(result["worker_pid"]) != __import__("os").getpid()
    # Counted and timed by the worker process, seen by this one. The result is stored before the worker's
    # after-task handler times it: on a loaded machine the scrape can come first, so it is read again.
    deadline = time.monotonic() + 10
    while watch.moved("celery_task_duration_seconds_count", task="monitoring.ping") < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
        watch.after = {}
    assert watch.moved("celery_tasks_total", task="monitoring.ping", state="SUCCESS") >= 1
    assert watch.moved("celery_task_duration_seconds_count", task="monitoring.ping") >= 1


@requires_redis()
def test_queue_depth_is_read_from_the_redis_broker(settings):
    import redis

    settings.CELERY_TASK_DEFAULT_QUEUE = "metrics-test-queue"  # one no worker consumes
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("metrics-test-queue")
    client.rpush("metrics-test-queue", "a", "b", "c")
    try:
        assert value(scrape(), "celery_queue_length", queue="metrics-test-queue") == 3
    finally:
        client.delete("metrics-test-queue")


# --- Who may read it ----------------------------------------------------------------------------


def test_with_a_token_configured_metrics_need_it_even_from_loopback(settings):
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    client = APIClient()

    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token").status_code == 200


def test_without_a_token_only_allowed_addresses_may_read_metrics(settings):
    settings.METRICS_TOKEN = None
    outsider = APIClient(REMOTE_ADDR="203.0.113.9")
    assert outsider.get("/metrics").status_code == 404

    settings.METRICS_ALLOWED_IPS = ["203.0.113.0/24"]
    assert outsider.get("/metrics").status_code == 200
    assert APIClient().get("/metrics").status_code == 404  # loopback is no longer on the list


# --- gunicorn ------------------------------------------------------------------------------------


def test_gunicorn_drops_an_exited_workers_live_gauges_without_the_folder_in_its_environment(tmp_path):
    """The master loads no settings, so PROMETHEUS_MULTIPROC_DIR is unset there (`make run`): child_exit must
    still find the folder the workers wrote to, the settings' default, and not raise at shutdown."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    (tmp_path / "prometheus").mkdir()
    live, counted = tmp_path / "prometheus" / "gauge_livesum_4242.db", tmp_path / "prometheus" / "counter_4242.db"
    live.write_bytes(b"")
    counted.write_bytes(b"")
    env = {k: v for k, v in os.environ.items() if k not in {"PROMETHEUS_MULTIPROC_DIR", "DJANGO_SETTINGS_MODULE"}}
    hook = (
        "import runpy, types; "
        "runpy.run_path('trading/gunicorn.conf.py')['child_exit'](None, types.SimpleNamespace(pid=4242))"
    )
    result = subprocess.run(
        [sys.executable, "-c", hook],
        cwd=root,
        env={**env, "DEBUG": "1", "TRADING_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert not live.exists()  # its live gauge is gone from /metrics
    assert counted.exists()  # what it counted stays counted
