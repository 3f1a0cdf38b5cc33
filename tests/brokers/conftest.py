"""Fixtures for the broker tests: the fake Angel One on loopback and a live account pointed at it."""

import pytest

from accounts.models import TradingAccount
from brokers.angelone.adapter import forget_clients
from brokers.angelone.transport import close_http_clients
from brokers.models import BrokerAccount
from brokers.resilience import breaker_reset_all, limiter
from brokers.resilience._redis import redis_client
from tests.accounts.factories import UserFactory
from tests.fakes.angelone import TEST_CLIENT, FakeServer


@pytest.fixture(scope="session")
def fake_server():
    server = FakeServer().start()
    yield server
    server.stop()


def forget_broker_state() -> None:
    """Per-process clients, sessions, breakers and limiter windows, and their shared Redis keys."""
    close_http_clients()
    forget_clients()
    breaker_reset_all()
    limiter.reset()
    client = redis_client()
    if client is not None:
        keys = list(client.scan_iter(match="brokers:*", count=1000))
        if keys:
            client.delete(*keys)


@pytest.fixture
def fake(fake_server, settings):
    """The fake, reset, with the platform pointed at it and quick retries."""
    fake_server.reset()
    settings.ANGELONE_ROOT_URL = fake_server.url
    settings.ANGELONE_FEED_WS_URL = fake_server.ws_url("smart-stream")
    settings.ANGELONE_ORDER_WS_URL = fake_server.ws_url("smart-order-update")
    settings.BROKER_PUBLIC_IP_URL = f"{fake_server.url}/admin/ip"
    settings.BROKER_RETRY_BASE_SECONDS = 0.01
    settings.BROKER_RETRY_MAX_SECONDS = 0.05
    settings.ANGELONE_READ_TIMEOUT_SECONDS = 2.0
    settings.ANGELONE_CONNECT_TIMEOUT_SECONDS = 1.0
    forget_broker_state()
    yield fake_server
    forget_broker_state()


def make_live_account(*, client_code=TEST_CLIENT["client_code"], **credentials) -> BrokerAccount:
    user = UserFactory()
    account = TradingAccount.objects.create(user=user, mode=TradingAccount.Mode.LIVE, broker="angelone")
    values = {
        "api_key": TEST_CLIENT["api_key"],
        "pin": TEST_CLIENT["pin"],
        "totp_secret": TEST_CLIENT["totp_secret"],
        **credentials,
    }
    return BrokerAccount.objects.create(account=account, client_code=client_code, static_ip="203.0.113.7", **values)


@pytest.fixture
def live_account(db, fake) -> BrokerAccount:
    return make_live_account()
