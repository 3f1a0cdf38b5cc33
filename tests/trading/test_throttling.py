import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_per_minute(monkeypatch):
    from core.throttling import ResilientUserRateThrottle

    monkeypatch.setattr(ResilientUserRateThrottle, "THROTTLE_RATES", {"user": "3/min"})


def test_requests_over_the_rate_get_429_with_retry_after(auth_client, three_per_minute):
    statuses = [auth_client.get("/api/v1/me/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = auth_client.get("/api/v1/me/")
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 60


def test_limits_are_per_user(auth_client, three_per_minute):
    from tests.accounts.factories import UserFactory
    from tests.conftest import jwt_client

    for _ in range(3):
        auth_client.get("/api/v1/me/")
    assert auth_client.get("/api/v1/me/").status_code == 429
    assert jwt_client(UserFactory()).get("/api/v1/me/").status_code == 200
