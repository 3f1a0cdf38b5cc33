"""/health/live and /health/ready: one check per dependency, 503 naming the required ones that fail."""

import shutil
import time

import httpx
import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from rest_framework.test import APIClient

from accounts.models import TradingAccount
from brokers.models import BrokerAccount
from brokers.resilience import breaker_for, breaker_reset_all
from core import clock
from monitoring.heartbeats import BEAT, WORKER, heartbeat_write
from tests.accounts.factories import UserFactory
from tests.processes import WebServer, free_port, redis_server

pytestmark = pytest.mark.django_db

EVERY_CHECK = {"database", "cache", "celery_broker", "worker", "beat", "feed", "broker_angelone"}
BASE_REQUIRED = ["database", "cache", "celery_broker"]


def dead_redis_cache(port: int) -> dict:
    """Redis at a loopback port where nothing listens, with the settings' own short socket timeouts."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{port}/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }


@pytest.fixture(autouse=True)
def _no_heartbeats():
    """Heartbeats live in a cache every process shares (files on the embedded default): start without any."""
    caches[django_settings.HEALTH_HEARTBEAT_CACHE].delete_many([f"heartbeat:{WORKER}", f"heartbeat:{BEAT}"])


@pytest.fixture
def fresh_heartbeats():
    heartbeat_write(WORKER, host="w1@test")
    heartbeat_write(BEAT, host="beat@test")


def test_live_answers_200(client):
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_lists_every_check_with_its_latency_and_answers_200(client, fresh_heartbeats):
    response = client.get("/health/ready")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok" and body["failed"] == []
    assert set(body["checks"]) >= EVERY_CHECK
    for name, check in body["checks"].items():
        assert set(check) == {"ok", "ms", "detail", "required"}, name
        assert isinstance(check["ms"], float) and check["detail"], name
    for name in django_settings.HEALTH_REQUIRED_CHECKS:
        assert body["checks"][name]["ok"] is True, (name, body["checks"][name])
    assert body["checks"]["worker"]["detail"].startswith("w1@test")


def test_ready_answers_503_naming_the_cache_when_redis_is_a_closed_port(client, settings):
    settings.CACHES = {**settings.CACHES, "default": dead_redis_cache(free_port())}

    response = client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert "cache" in body["failed"] and "database" not in body["failed"]
    assert body["checks"]["cache"]["ok"] is False
    assert "Connection" in body["checks"]["cache"]["detail"]
    assert body["checks"]["database"]["ok"] is True


def test_anonymous_callers_get_only_the_status_and_the_names_of_failing_checks(settings):
    """No host names, process ids, Redis addresses or raw connection errors for whoever asks from outside."""
    settings.METRICS_TOKEN = None
    settings.HEALTH_REQUIRED_CHECKS = [*BASE_REQUIRED, "worker"]
    heartbeat_write(BEAT, host="beat@internal-host-7")  # before the cache goes: heartbeats may live there
    settings.CACHES = {**settings.CACHES, "default": dead_redis_cache(port := free_port())}

    response = APIClient(REMOTE_ADDR="203.0.113.9").get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert set(body) == {"status", "failed", "degraded"} and body["status"] == "fail"
    assert body["failed"] == ["cache", "worker"] and "feed" in body["degraded"]  # no tick yet: reported only
    assert "internal-host-7" not in response.content.decode() and str(port) not in response.content.decode()


@pytest.mark.parametrize("token", [None, "s3cret-ops-token"])
def test_the_operator_gets_the_details_from_an_allowed_address_or_with_the_metrics_token(settings, token):
    settings.METRICS_TOKEN = token
    settings.HEALTH_REQUIRED_CHECKS = BASE_REQUIRED
    settings.CACHES = {**settings.CACHES, "default": dead_redis_cache(free_port())}
    operator = APIClient(REMOTE_ADDR="127.0.0.1" if token is None else "203.0.113.9")
    if token:
        operator.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    body = operator.get("/health/ready").json()

    assert body["failed"] == ["cache"]
    assert "Connection" in body["checks"]["cache"]["detail"]


def test_with_a_token_configured_loopback_without_it_gets_no_details(settings):
    settings.METRICS_TOKEN = "s3cret-ops-token"
    body = APIClient(REMOTE_ADDR="127.0.0.1").get("/health/ready").json()
    assert "checks" not in body and body["status"] in {"ok", "fail"}


def test_a_stale_worker_heartbeat_fails_ready_naming_the_worker_when_it_is_required(client, settings):
    settings.HEALTH_REQUIRED_CHECKS = [*BASE_REQUIRED, "worker"]
    long_ago = clock.now().timestamp() - settings.HEALTH_HEARTBEAT_STALE_SECONDS - 5
    heartbeat_write(WORKER, host="w1@test", at=long_ago)

    response = client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["worker"]
    assert body["checks"]["worker"]["required"] is True
    assert "stale" in body["checks"]["worker"]["detail"] and "w1@test" in body["checks"]["worker"]["detail"]


def test_a_fresh_worker_heartbeat_passes_when_the_worker_is_required(client, settings, fresh_heartbeats):
    settings.HEALTH_REQUIRED_CHECKS = [*BASE_REQUIRED, "worker", "beat"]

    response = client.get("/health/ready")

    assert response.status_code == 200, response.json()


def test_a_missing_worker_is_reported_but_does_not_fail_ready_when_not_required(client, settings):
    settings.HEALTH_REQUIRED_CHECKS = BASE_REQUIRED

    body = client.get("/health/ready").json()

    assert body["status"] == "ok"
    assert body["checks"]["worker"] == {**body["checks"]["worker"], "ok": False, "required": False}
    assert "no worker heartbeat" in body["checks"]["worker"]["detail"]


def test_a_required_check_that_nobody_registered_fails_rather_than_passing_silently(client, settings):
    settings.HEALTH_REQUIRED_CHECKS = [*BASE_REQUIRED, "databse"]

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["failed"] == ["databse"]


def test_an_open_broker_breaker_is_reported_with_its_account(client, settings):
    settings.HEALTH_REQUIRED_CHECKS = BASE_REQUIRED
    account = TradingAccount.objects.create(user=UserFactory(), mode=TradingAccount.Mode.LIVE, broker="angelone")
    row = BrokerAccount.objects.create(account=account, client_code="H1", status=BrokerAccount.Status.CONNECTED)
    breaker_reset_all()
    try:
        assert client.get("/health/ready").json()["checks"]["broker_angelone"]["ok"] is True
        breaker_for("angelone", row.pk).open()

        response = client.get("/health/ready")
    finally:
        breaker_reset_all()

    assert response.status_code == 200  # reported, not required: one account's broker does not make the web unready
    check = response.json()["checks"]["broker_angelone"]
    assert check["ok"] is False and str(row.pk) in check["detail"]


@pytest.mark.worker
def test_a_real_worker_process_writes_the_heartbeat_ready_reads(client, celery_worker):
    deadline = time.monotonic() + 30  # the worker writes one at start and every HEALTH_HEARTBEAT_INTERVAL_SECONDS
    while time.monotonic() < deadline:
        check = client.get("/health/ready").json()["checks"]["worker"]
        if check["ok"]:
            break
        time.sleep(0.5)
    assert check["ok"] is True, check
    assert check["detail"].startswith("test-")  # the test worker's node name


def test_a_real_web_process_answers_503_quickly_when_redis_is_down():
    """gunicorn with REDIS_URL at a closed port: /health/ready names the cache instead of hanging."""
    web = WebServer(env={"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    web.start()
    try:
        response = httpx.get(f"{web.url}/health/ready", timeout=15)
    finally:
        web.stop()

    assert response.status_code == 503
    failed = response.json()["failed"]
    assert "cache" in failed and "celery_broker" in failed and "database" not in failed


def ready_until(client, wanted: int, seconds: float = 30) -> dict:
    """Poll /health/ready until it answers `wanted` (a real process needs a moment either way)."""
    deadline = time.monotonic() + seconds
    while True:
        response = client.get("/health/ready")
        if response.status_code == wanted or time.monotonic() > deadline:
            return {**response.json(), "http": response.status_code}
        time.sleep(0.25)


@pytest.mark.worker
def test_ready_names_the_worker_when_the_real_one_stops_and_is_200_again_when_it_is_back(
    client, settings, exclusive_workers
):
    settings.HEALTH_REQUIRED_CHECKS = [*BASE_REQUIRED, "worker"]
    settings.HEALTH_HEARTBEAT_STALE_SECONDS = 2
    quick = {"HEALTH_HEARTBEAT_INTERVAL_SECONDS": "0.5"}
    worker = exclusive_workers(**quick)
    assert ready_until(client, 200)["http"] == 200

    worker.stop()
    down = ready_until(client, 503)
    assert down["http"] == 503 and down["failed"] == ["worker"]

    exclusive_workers(**quick)
    assert ready_until(client, 200)["http"] == 200


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server program")
def test_a_real_web_process_names_redis_when_it_stops_and_is_200_again_when_it_is_back():
    port = free_port()
    redis = redis_server(port).start()
    env = {"REDIS_URL": f"redis://127.0.0.1:{port}/0", "HEALTH_REQUIRED_CHECKS": "database,cache,celery_broker"}
    web = WebServer(env=env)
    web.start()
    try:
        assert ready_over_http(web, 200)[0] == 200
        redis.stop()
        status, body = ready_over_http(web, 503)
        assert status == 503 and "cache" in body["failed"] and "database" not in body["failed"]
        redis = redis_server(port).start()
        assert ready_over_http(web, 200)[0] == 200
    finally:
        web.stop()
        redis.stop()


def ready_over_http(web: WebServer, wanted: int, seconds: float = 30) -> tuple[int, dict]:
    deadline = time.monotonic() + seconds
    while True:
        response = httpx.get(f"{web.url}/health/ready", timeout=15)
        if response.status_code == wanted or time.monotonic() > deadline:
            return response.status_code, response.json()
        time.sleep(0.25)
