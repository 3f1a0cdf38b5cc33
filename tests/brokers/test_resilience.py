"""Breakers, rate limits, retries and the paper/live wall, with the fake standing in for the broker."""

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta

import pybreaker
import pytest

from accounts.models import TradingAccount
from brokers.angelone.adapter import AngelOneBroker
from brokers.angelone.client import bucket_rates
from brokers.base import BrokerRejected, BrokerUnavailable
from brokers.network import ip_check, outgoing_ip
from brokers.paper.exchange import PaperBroker
from brokers.registry import BrokerModeMismatch, broker_for_account, register_broker
from brokers.resilience import RateLimitExceeded, breaker_reset_all, breaker_state, limiter, parse_rates
from brokers.resilience import breaker as breaker_module
from brokers.resilience._redis import redis_client
from brokers.resilience.ratelimit import POLL_MS, Limiter, MemoryWindows, Rate, RedisWindows
from tests import processes
from tests.accounts.factories import UserFactory
from tests.conftest import requires_redis

from .conftest import make_live_account
from .test_angelone_adapter import order


@pytest.fixture
def quick_breaker(settings):
    settings.BROKER_BREAKER_FAIL_MAX = 3
    settings.BROKER_BREAKER_RESET_SECONDS = 60  # never half-opens by itself during a test, however slow
    settings.BROKER_READ_RETRIES = 0
    breaker_reset_all()


class _MinuteLater(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime.now(tz) + timedelta(seconds=61)


def minute_later(monkeypatch) -> None:
    """Move the breakers' clock (pybreaker's and ours) past the reset timeout."""
    monkeypatch.setattr(pybreaker, "datetime", _MinuteLater)
    monkeypatch.setattr(breaker_module, "datetime", _MinuteLater)


def test_the_breaker_opens_while_the_broker_is_down_and_closes_when_it_is_back(
    live_account, fake, quick_breaker, monkeypatch
):
    broker = AngelOneBroker(live_account.account)
    broker.profile()
    fake.down()
    try:
        for _ in range(3):
            with pytest.raises(BrokerUnavailable) as failure:
                broker.funds()
            assert failure.value.code == "broker_network_error"
        assert breaker_state("angelone", live_account.pk) == "open"
    finally:
        fake.up()
    seen = sum(fake.state.requests.values())

    with pytest.raises(BrokerUnavailable) as refused:
        broker.place_order(order(tag="T301"))

    assert refused.value.code == "broker_unavailable"
    assert sum(fake.state.requests.values()) == seen  # refused without a call: fast
    minute_later(monkeypatch)  # the reset timeout passes: the next call is the trial
    assert broker.funds().available is not None
    assert breaker_state("angelone", live_account.pk) == "closed"
    assert broker.place_order(order(tag="T302")).tag == "T302"


def test_one_accounts_failures_do_not_open_the_breaker_for_another(db, fake, quick_breaker):
    fake.admin(
        "POST",
        "accounts",
        {
            "client_code": "B654321",
            "pin": "1111",
            "api_key": "key-b",
            "totp_secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        },
    )
    first = make_live_account()
    second = make_live_account(
        client_code="B654321", pin="1111", api_key="key-b", totp_secret="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    )
    AngelOneBroker(first.account).profile()
    AngelOneBroker(second.account).profile()
    fake.faults(reset_next=3)

    for _ in range(3):
        with pytest.raises(BrokerUnavailable):
            AngelOneBroker(first.account).funds()

    assert breaker_state("angelone", first.pk) == "open"
    assert breaker_state("angelone", second.pk) == "closed"
    assert AngelOneBroker(second.account).funds().available is not None


def test_refusals_and_bad_credentials_never_open_the_breaker(db, fake, quick_breaker):
    broker_account = make_live_account(pin="0000")
    for _ in range(4):
        with pytest.raises(BrokerRejected):
            AngelOneBroker(broker_account.account).funds()

    assert breaker_state("angelone", broker_account.pk) == "closed"


# --- Rate limits -------------------------------------------------------------------------------------


def test_rates_are_read_from_settings_text():
    assert parse_rates("9/s, 500/m,1000/h") == (Rate(9, 1), Rate(500, 60), Rate(1000, 3600))
    for bad in ("9", "0/s", "9/d", "x/s"):
        with pytest.raises(ValueError):
            parse_rates(bad)


def test_order_requests_never_exceed_the_regulatory_ten_a_second(settings):
    settings.ANGELONE_RATE_LIMITS = {**settings.ANGELONE_RATE_LIMITS, "orders": "20/s,500/m,1000/h"}

    assert bucket_rates("orders") == (Rate(10, 1), Rate(500, 60), Rate(1000, 3600))
    assert bucket_rates("orderbook") == (Rate(1, 1),)


def test_a_full_window_says_how_long_until_a_slot_frees():
    windows = MemoryWindows()
    rates = (Rate(3, 1), Rate(5, 60))

    taken = [windows.take("k", rates, uuid.uuid4().hex) for _ in range(3)]
    wait = windows.take("k", rates, uuid.uuid4().hex)

    assert taken == [0.0, 0.0, 0.0]
    assert 0 < wait <= 1.1
    assert windows.take("other", rates, "o") == 0.0  # another account has its own windows


def test_the_minute_cap_holds_when_seconds_have_room():
    windows = MemoryWindows()
    rates = (Rate(100, 1), Rate(4, 60))

    assert [windows.take("k", rates, uuid.uuid4().hex) for _ in range(4)] == [0.0] * 4
    assert windows.take("k", rates, uuid.uuid4().hex) > 50


def _windows(kind: str):
    if kind == "memory":
        return MemoryWindows()
    if redis_client() is None:
        pytest.skip("needs REDIS_URL (runs in the PostgreSQL+Redis CI pass)")
    return RedisWindows(redis_client())


BACKENDS = pytest.mark.parametrize("kind", ["memory", pytest.param("redis", marks=requires_redis())])


@BACKENDS
def test_a_slot_in_flight_holds_its_place_until_its_request_comes_back(kind):
    windows, rates, key = _windows(kind), (Rate(2, 1),), f"flight-{uuid.uuid4().hex}"
    slots = [uuid.uuid4().hex for _ in range(2)]
    assert [windows.take(key, rates, slot, hold=30) for slot in slots] == [0.0, 0.0]

    # Both requests are still out: no one can say when the window frees, so look again soon.
    assert windows.take(key, rates, "third") == POLL_MS / 1000

    for slot in slots:
        windows.done(key, rates, slot)
    # Back: each counts from the moment it came back, for a whole window.
    assert POLL_MS / 1000 < windows.take(key, rates, "third") <= rates[0].window_ms / 1000


@BACKENDS
def test_requests_that_go_out_late_never_put_one_too_many_in_any_second_at_the_broker(kind, settings):
    """The first five are held up after taking their slots (a descheduled worker); the next five are not.

    Counted from when the slots were taken, the late five and the prompt five would reach the
    broker within one second of each other: ten in a second against a limit of five.
    """
    windows, rates, key = _windows(kind), (Rate(5, 1),), f"late-{uuid.uuid4().hex}"
    settings.BROKER_RATE_LIMIT_MAX_WAIT_SECONDS = 30
    limiter = Limiter(backend=windows)
    arrivals, order, lock = [], [], threading.Lock()

    def request():
        slot = limiter.acquire(key, rates, hold=10)
        with lock:
            order.append(slot)
            late = len(order) <= 5
        if late:
            time.sleep(0.6)
        with lock:
            arrivals.append(time.monotonic())  # the broker counts it now
        limiter.done(key, rates, slot)

    threads = [threading.Thread(target=request) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(arrivals) == 10
    busiest = max(sum(1 for b in arrivals if a <= b < a + 1) for a in arrivals)
    assert busiest <= 5, sorted(b - min(arrivals) for b in arrivals)


def test_a_request_over_the_limit_waits_for_its_slot_or_is_refused(settings):
    limiter.reset()
    rates = (Rate(2, 1),)
    limiter.acquire("t", rates)
    limiter.acquire("t", rates)

    with pytest.raises(RateLimitExceeded):
        limiter.acquire("t", rates, max_wait=0)
    limiter.acquire("t", rates, max_wait=2)  # waited for the window to move on


def test_an_order_over_the_limit_is_refused_with_rate_limited_and_never_sent(live_account, fake, settings):
    settings.ANGELONE_RATE_LIMITS = {**settings.ANGELONE_RATE_LIMITS, "orders": "9/s,2/m"}
    settings.BROKER_RATE_LIMIT_MAX_WAIT_SECONDS = 0
    broker = AngelOneBroker(live_account.account)
    broker.place_order(order(tag="T311"))
    broker.place_order(order(tag="T312"))

    with pytest.raises(BrokerUnavailable) as refused:
        broker.place_order(order(tag="T313"))

    assert refused.value.code == "rate_limited"
    assert fake.state.requests["placeOrder"] == 2


@requires_redis()
@pytest.mark.django_db(transaction=True)
def test_two_processes_sharing_an_account_never_exceed_the_limit_at_the_broker(fake):
    broker_account = make_live_account()
    AngelOneBroker(broker_account.account).profile()  # one session for both processes
    env = {
        **os.environ,
        "DATABASE_URL": processes.test_database_url(),
        "ANGELONE_ROOT_URL": fake.url,
        "ANGELONE_RATE_LIMIT_ORDERS": "6/s,500/m,1000/h",
        "BROKER_RATE_LIMIT_MAX_WAIT_SECONDS": "20",
    }
    start_at = time.time() + 2.5  # both processes up before either sends
    command = [sys.executable, "-m", "tests.brokers.hammer", str(broker_account.account_id), "12", str(start_at)]
    procs = [
        subprocess.Popen(command, cwd=processes.ROOT, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    results = [json.loads(p.communicate(timeout=60)[0].strip().splitlines()[-1]) for p in procs]

    assert [r["placed"] for r in results] == [12, 12]
    stats = fake.admin("GET", "stats")
    assert stats["order_requests"] == 24
    assert stats["max_order_requests_per_second"] <= 6, stats["order_requests_per_second"]


# --- The paper/live wall -----------------------------------------------------------------------------


def _account(mode: str, broker: str) -> TradingAccount:
    return TradingAccount.objects.create(user=UserFactory(), mode=mode, broker=broker)


def test_a_paper_account_only_ever_gets_the_paper_exchange(db):
    account = _account(TradingAccount.Mode.PAPER, "angelone")

    assert isinstance(broker_for_account(account), PaperBroker)


def test_a_live_account_never_gets_the_paper_exchange(db):
    account = _account(TradingAccount.Mode.LIVE, "paper")

    with pytest.raises(BrokerModeMismatch) as caught:
        broker_for_account(account)

    assert caught.value.code == "broker_mode_mismatch"


def test_a_live_broker_that_hands_out_the_paper_exchange_is_refused(db):
    from brokers import registry

    register_broker("misconfigured", lambda account: PaperBroker(account.id))
    account = _account(TradingAccount.Mode.LIVE, "misconfigured")
    try:
        with pytest.raises(BrokerModeMismatch):
            broker_for_account(account)
    finally:
        registry._factories.pop("misconfigured")


def test_a_live_account_gets_angel_one(live_account):
    assert isinstance(broker_for_account(live_account.account), AngelOneBroker)


# --- Where orders leave from ------------------------------------------------------------------------


def test_the_outgoing_address_is_compared_with_the_registered_static_ip(fake, settings):
    assert outgoing_ip(refresh=True) == "127.0.0.1"

    assert ip_check(registered="127.0.0.1").matches
    mismatch = ip_check(registered="203.0.113.7")
    assert not mismatch.matches and "203.0.113.7" in mismatch.message and "127.0.0.1" in mismatch.message
    assert not ip_check(registered=None).matches
    settings.BROKER_PUBLIC_IP = "203.0.113.7"
    assert ip_check(registered="203.0.113.7").matches
