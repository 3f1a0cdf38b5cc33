"""API rate limits (core.throttling): per user and group, counted in the shared cache, 429 `rate_limited`."""

from types import SimpleNamespace

import httpx
import pytest
from django.conf import settings as django_settings
from django.test import override_settings

from tests.conftest import jwt_client, requires_redis
from tests.processes import WebServer

pytestmark = pytest.mark.django_db
ORDER = {
    "exchange": "NSE",
    "symbol": "SBIN-EQ",
    "side": "BUY",
    "quantity": 1,
    "order_type": "LIMIT",
    "product": "CNC",
    "price": "700.00",
}


@pytest.fixture
def frozen_clock(monkeypatch):
    """django-ratelimit's clock, stopped at the start of a second; `advance(seconds)` moves it."""
    now = [1_900_000_000.0]
    monkeypatch.setattr("django_ratelimit.core.time", SimpleNamespace(time=lambda: now[0]))

    def advance(seconds: float) -> None:
        now[0] += seconds

    return advance


@pytest.mark.product_rate_limits
def test_the_product_defaults_are_ten_orders_and_fifty_calls_a_second_and_five_logins_a_minute():
    assert django_settings.API_RATE_LIMITS["orders"] == "10/s"
    assert django_settings.API_RATE_LIMITS["api"] == "50/s"
    assert django_settings.LOGIN_RATE_LIMIT == "5/m"


@pytest.mark.product_rate_limits
def test_the_eleventh_order_in_one_second_is_refused_and_the_next_second_is_open(trader, market, frozen_clock):
    client = jwt_client(trader)
    statuses = [client.post("/api/v1/orders/", ORDER, format="json").status_code for _ in range(10)]
    assert statuses == [201] * 10
    refused = client.post("/api/v1/orders/", ORDER, format="json")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused["Retry-After"] == "1"
    frozen_clock(1)
    assert client.post("/api/v1/orders/", ORDER, format="json").status_code == 201


@pytest.mark.product_rate_limits
def test_modifying_and_cancelling_count_with_placing(trader, market, frozen_clock):
    client = jwt_client(trader)
    ids = [client.post("/api/v1/orders/", ORDER, format="json").json()["id"] for _ in range(5)]
    for order_id in ids[:3]:  # not at the broker yet (409): refused by the order's state, not by the limit
        assert client.patch(f"/api/v1/orders/{order_id}/", {"price": "701.00"}, format="json").status_code == 409
    for order_id in ids[3:]:
        assert client.delete(f"/api/v1/orders/{order_id}/").status_code == 202
    assert client.delete(f"/api/v1/orders/{ids[0]}/").status_code == 429
    assert client.get("/api/v1/orders/").status_code == 200  # reading counts in the other group


@pytest.mark.product_rate_limits
def test_the_fifty_first_call_in_a_second_is_refused_for_that_user_only(user, frozen_clock):
    from tests.accounts.factories import UserFactory

    client = jwt_client(user)
    assert [client.get("/api/v1/me/").status_code for _ in range(50)] == [200] * 50
    assert client.get("/api/v1/me/").status_code == 429
    assert jwt_client(UserFactory()).get("/api/v1/me/").status_code == 200
    frozen_clock(1)
    assert client.get("/api/v1/me/").status_code == 200


@override_settings(API_RATE_LIMITS={"api": "100/s", "orders": "100/s", "token-refresh": "3/m"})
def test_token_refresh_is_limited_per_address(api_client, frozen_clock):
    statuses = [
        api_client.post("/api/v1/auth/token/refresh/", {"refresh": "not-a-token"}, format="json").status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    other = api_client.post("/api/v1/auth/token/refresh/", {"refresh": "x"}, format="json", REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 401


# --- Two web processes, one Redis: one count --------------------------------------------------------


@requires_redis()
@pytest.mark.django_db(transaction=True)  # the servers must see the user
def test_two_web_servers_share_one_limit(user, password):
    env = {"API_RATE_LIMIT": "8/h", "LOGIN_RATE_LIMIT": "100/m"}  # an hour: no window ends during the test
    servers = [WebServer(env=env), WebServer(env=env)]
    try:
        for server in servers:
            server.start()
        token = httpx.post(
            f"{servers[0].url}/api/v1/auth/token/", json={"username": user.username, "password": password}
        ).json()["access"]
        headers = {"Authorization": f"Bearer {token}"}
        statuses = [httpx.get(f"{servers[i % 2].url}/api/v1/me/", headers=headers).status_code for i in range(10)]
    finally:
        for server in servers:
            server.stop()
    print(f"two servers, limit 8/h, statuses: {statuses}")
    assert statuses == [200] * 8 + [429] * 2
