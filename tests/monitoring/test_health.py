import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


def test_live_answers_200(client):
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_reports_each_dependency_ok(client):
    response = client.get("/health/ready")
    assert response.status_code == 200, response.json()
    body = response.json()
    critical = {name for name, check in body["checks"].items() if check["critical"]}
    assert {"database", "cache", "celery_broker"} <= critical
    assert all(body["checks"][name]["ok"] for name in critical)
    assert set(body["failed"]) <= {name for name in body["checks"] if name not in critical}


@override_settings(CACHES=DEAD_REDIS)
def test_ready_answers_503_naming_the_cache_when_redis_is_unreachable(client):
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert "cache" in body["failed"] and "database" not in body["failed"]
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
