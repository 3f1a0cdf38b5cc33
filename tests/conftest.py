"""Fixtures shared by every test folder."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.db.models.signals import pre_save
from rest_framework.test import APIClient

from risk.models import RiskProfile
from tests.accounts.factories import UserFactory
from tests.processes import SHARED, CeleryWorker, ensure_clean_broker


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _forget_dead_processes_metrics() -> None:
    """Metrics files of earlier runs' processes (`<kind>_<pid>.db`) would pile up in var/test/prometheus."""
    for path in Path(settings.PROMETHEUS_MULTIPROC_DIR).glob("*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            path.unlink(missing_ok=True)


def pytest_sessionstart(session):
    """When CI says PostgreSQL and Redis are there, the suite must run on them or fail."""
    _forget_dead_processes_metrics()
    if os.environ.get("REQUIRE_SERVICES") == "1":
        engine = settings.DATABASES["default"]["ENGINE"]
        backend = settings.CACHES["default"]["BACKEND"]
        problems = []
        if engine != "django.db.backends.postgresql":
            problems.append(f"database engine is {engine}, not PostgreSQL")
        if "redis" not in backend.lower():
            problems.append(f"cache backend is {backend}, not Redis")
        if not settings.CELERY_BROKER_URL.startswith("redis"):
            problems.append(f"Celery broker is {settings.CELERY_BROKER_URL}, not Redis")
        if problems:
            raise pytest.UsageError("REQUIRE_SERVICES=1 but " + "; ".join(problems))


@pytest.fixture(autouse=True)
def _isolated_cache():
    yield
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")  # only our key prefix, not the broker's keys
    else:
        cache.clear()


# Limits wide enough that tests about other rules (funds, lots, concurrency) are not refused by risk first;
# tests about the risk checks set their own, and `@pytest.mark.product_risk_defaults` keeps the product's.
WIDE_RISK_LIMITS = {
    "max_order_value_equity": 10**12,
    "max_order_value_futures": 10**12,
    "max_order_value_options": 10**12,
    "max_quantity_equity": 10**9,
    "max_quantity_futures": 10**9,
    "max_quantity_options": 10**9,
    "price_band_pct_equity": 999,
    "price_band_pct_futures": 999,
    "price_band_pct_options": 999,
    "max_open_orders": 10**6,
    "max_position_value": 10**12,
    "max_gross_exposure": 10**13,
    "max_orders_per_second": 10**6,
    "max_orders_per_minute": 10**6,
    "max_orders_per_day": 10**6,
    "daily_loss_limit": 10**12,
}


# The limits a risk profile made during a test starts with, instead of the model's (a field the code that
# made the profile left at its default takes the value here). Fixtures fill it; it is emptied after each test.
STARTING_RISK_LIMITS: dict = {}


def _start_with_the_tests_limits(sender, instance, **kwargs) -> None:
    if not instance._state.adding:
        return
    for name, value in STARTING_RISK_LIMITS.items():
        if getattr(instance, name) == instance._meta.get_field(name).get_default():
            setattr(instance, name, value)


pre_save.connect(_start_with_the_tests_limits, sender=RiskProfile, dispatch_uid="tests-starting-risk-limits")


@pytest.fixture(autouse=True)
def _wide_risk_limits(request, monkeypatch):
    if request.node.get_closest_marker("product_risk_defaults") is None:
        for name, value in WIDE_RISK_LIMITS.items():
            monkeypatch.setitem(STARTING_RISK_LIMITS, name, value)


# API rate limits high enough that no test is refused for going fast; tests about the limits set their own,
# and `@pytest.mark.product_rate_limits` keeps the product's. Processes the tests start get the same (processes.py).
WIDE_RATE_LIMITS = {"api": "100000/s", "orders": "100000/s", "token-refresh": "100000/s"}


@pytest.fixture(autouse=True)
def _wide_rate_limits(request, settings):
    if request.node.get_closest_marker("product_rate_limits") is None:
        settings.API_RATE_LIMITS = WIDE_RATE_LIMITS
        settings.LOGIN_RATE_LIMIT = "100000/m"
        settings.LOGIN_ADDRESS_RATE_LIMIT = "100000/m"
        settings.LOGIN_FAILURE_RATE_LIMIT = "100000/m"
        settings.AUTH_FAILURE_RATE_LIMIT = "100000/m"


@pytest.fixture(autouse=True)
def _own_audit_anchor(settings, tmp_path):
    """`verify_audit` records the chains' heads in a file: each test's own, as each test has its own rows."""
    settings.AUDIT_ANCHOR_FILE = str(tmp_path / "audit-anchor.json")


@pytest.fixture(autouse=True)
def _risk_usage_holds(request):
    """After every test on the test's own database transaction, each account's running risk usage (on its
    Funds row) equals what its orders and ledger say (orders/books/): any path that moved an order
    or realised P&L without keeping the totals fails the test that took it."""
    yield
    marker = request.node.get_closest_marker("django_db")
    if marker is None or marker.kwargs.get("transaction"):
        return  # no database, or other processes' transactions
    from core import clock
    from orders.books import usage_recount, usage_running
    from orders.models import Funds

    now = clock.now()
    try:
        accounts = list(Funds.objects.all())
    except DatabaseError:
        return  # the test ran a management command, which closes the connection when it ends
    for funds in accounts:
        running, counted = usage_running(funds, now=now), usage_recount(funds.account_id, now=now)
        if funds.usage_day not in (None, clock.ist_date(now)):
            # the test's clock was on another day: its day counts are that day's
            running, counted = running.open_totals, counted.open_totals
        assert running == counted, f"account {funds.account_id}: running {running} != counted {counted}"


@pytest.fixture(autouse=True)
def _order_moves_in_the_table(request):
    """After every test on the test's own database transaction, every status change its orders' histories
    record is one the lifecycle table declares (orders/lifecycle.py): a move made around the table fails
    the test that made it."""
    yield
    marker = request.node.get_closest_marker("django_db")
    if marker is None or marker.kwargs.get("transaction"):
        return
    from django.db.models import F

    from orders.lifecycle import allowed
    from orders.models import OrderEvent

    try:
        moves = set(OrderEvent.objects.exclude(from_status=F("to_status")).values_list("from_status", "to_status"))
    except DatabaseError:
        return  # the test ran a management command, which closes the connection when it ends
    undeclared = sorted(move for move in moves if not allowed(*move))
    assert undeclared == [], f"status changes not in orders.lifecycle.TRANSITIONS: {undeclared}"


@pytest.fixture
def password() -> str:
    return "correct-horse-battery-9"


@pytest.fixture
def user(db, password):
    return UserFactory(password=password)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def jwt_client(user) -> APIClient:
    from rest_framework_simplejwt.tokens import RefreshToken

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def auth_client(user) -> APIClient:
    return jwt_client(user)


@pytest.fixture
def celery_worker(exclusive_workers):
    """A real `celery worker` process on the test database and the configured broker, for this test only.

    Never shared across tests: most tests assume no worker consumes what they queue (a worker kept for
    the session outlived its tests, since pytest-django runs transactional tests last, and took their orders).
    """
    return exclusive_workers()


@pytest.fixture
def exclusive_workers():
    """For tests that run (and crash) their own workers: the shared one steps aside meanwhile."""
    shared = SHARED.get("worker")
    paused = shared is not None and shared.alive()
    if paused:
        shared.kill()  # idle: no need to wait for a warm shutdown while quotes go stale
    ensure_clean_broker()
    started: list[CeleryWorker] = []

    def start(**env) -> CeleryWorker:
        worker = CeleryWorker(env=env)
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    if paused:
        shared.start()


def requires_postgres():
    """Skip on SQLite, but fail when CI says PostgreSQL is there (REQUIRE_SERVICES=1)."""
    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    if not on_postgres and os.environ.get("REQUIRE_SERVICES") == "1":
        raise RuntimeError("REQUIRE_SERVICES=1 but DATABASE_URL is not PostgreSQL")
    return pytest.mark.skipif(not on_postgres, reason="needs PostgreSQL (runs in the PostgreSQL+Redis CI pass)")


def requires_redis():
    """Skip where no Redis is configured, but fail when CI says it is there (REQUIRE_SERVICES=1)."""
    if not settings.REDIS_URL and os.environ.get("REQUIRE_SERVICES") == "1":
        raise RuntimeError("REQUIRE_SERVICES=1 but REDIS_URL is not set")
    return pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (runs in the PostgreSQL+Redis CI pass)")


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Per-process caches (quotes L1, symbol map) must not leak between tests."""
    from accounts.selectors import trading_account_cache_clear
    from marketdata.quotes import l1_clear
    from marketdata.selectors import instrument_cache_clear
    from marketdata.services.interest import _interest_noted
    from notifications.services import preferences_cache_clear

    l1_clear()
    instrument_cache_clear()
    _interest_noted.clear()
    trading_account_cache_clear()
    preferences_cache_clear()
    yield
    l1_clear()
    instrument_cache_clear()


@pytest.fixture(autouse=True)
def _no_background_demo_history(settings):
    """seed_demo queues years of demo history for a worker: tests make the history they need themselves."""
    settings.DEMO_HISTORY_YEARS = 0
    settings.DEMO_HISTORY_MINUTE_DAYS = 0
