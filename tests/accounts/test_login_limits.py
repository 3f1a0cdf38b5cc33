"""Login attempts are counted before the password is checked, atomically, with or without Redis."""

from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db(transaction=True)  # the threads below need the user committed

TOKEN_URL = "/api/v1/auth/token/"
UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1: every call fails at once
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    },
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "login-fallback-test"},
    "ratelimit": {"BACKEND": "core.cache_backends.FailoverCache", "OPTIONS": {"PRIMARY": "default"}},
}


@pytest.fixture
def frozen_window(monkeypatch):
    """django-ratelimit's clock, stopped: a slow run cannot cross into the next window halfway."""
    monkeypatch.setattr("django_ratelimit.core.time", SimpleNamespace(time=lambda: 1_900_000_000.0))


def attempt(username: str, password: str, address: str = "127.0.0.1"):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json", REMOTE_ADDR=address)


@pytest.mark.product_rate_limits  # 5 a minute
def test_thirty_wrong_passwords_at_once_get_exactly_five_checked(user, frozen_window):
    with ThreadPoolExecutor(30) as pool:
        responses = list(pool.map(lambda _: attempt(user.username, "wrong-password-1"), range(30)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(401) == 5, statuses
    assert statuses.count(429) == 25, statuses
    for response in responses:
        if response.status_code == 429:
            assert response.json()["error"]["code"] == "too_many_login_attempts"
            assert 1 <= int(response["Retry-After"]) <= 60


@override_settings(LOGIN_RATE_LIMIT="5/m", CACHES=UNREACHABLE_REDIS)
def test_login_attempts_stay_limited_while_the_shared_cache_is_down(user, password):
    statuses = [attempt(user.username, "wrong-password-1").status_code for _ in range(7)]
    assert statuses == [401] * 5 + [429] * 2
    assert attempt(user.username, password).status_code == 429  # the right password waits too


@override_settings(LOGIN_RATE_LIMIT="3/m")
def test_the_dashboard_login_shares_the_limit_and_says_when_to_retry(client, user, password):
    for _ in range(3):
        client.post("/accounts/login/", {"username": user.username, "password": "wrong-password-1"})
    response = client.post("/accounts/login/", {"username": user.username, "password": password})
    assert response.status_code == 429
    assert "Retry-After" in response
    assert b"Too many" in response.content


@pytest.mark.product_rate_limits  # 5 a minute per username from one address
def test_a_strangers_attempts_from_one_address_do_not_stop_the_owner_elsewhere(user, password, frozen_window):
    stranger = [attempt(user.username, "wrong-password-1", "203.0.113.66").status_code for _ in range(6)]
    assert stranger == [401] * 5 + [429]
    assert attempt(user.username, password, "192.0.2.50").status_code == 200


@override_settings(LOGIN_ADDRESS_RATE_LIMIT="4/m")
def test_one_address_trying_many_usernames_is_limited(user, password, frozen_window):
    statuses = [attempt(f"guess{i}", "wrong-password-1", "203.0.113.66").status_code for i in range(5)]
    assert statuses == [401] * 4 + [429]
    assert attempt(user.username, password, "192.0.2.50").status_code == 200
