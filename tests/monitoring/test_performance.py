"""The staff performance page: the last hour's samples per route, task and order step."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from brokers.angelone import endpoints as ep
from brokers.angelone.adapter import AngelOneBroker
from monitoring import perf_samples
from monitoring.tasks import ping
from orders import services
from tests.accounts.factories import UserFactory
from tests.conftest import jwt_client, requires_redis

pytestmark = pytest.mark.django_db
PAGE = "/admin/performance/"
ROOT = Path(__file__).resolve().parents[2]
BODY = {"exchange": "NSE", "symbol": "SBIN-EQ", "side": "BUY", "quantity": 5, "order_type": "MARKET", "product": "CNC"}


@pytest.fixture(autouse=True)
def fresh_samples():
    perf_samples.clear()
    yield
    perf_samples.clear()


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="ops", is_staff=True, is_superuser=True))
    return client


def _row(body: str, kind: str, name: str) -> str:
    section = body[body.index(f'data-kind="{kind}"') :]
    section = section[: section.index("</table>")]
    match = re.search(rf'<tr data-series="{re.escape(name)}">(.*?)</tr>', section, re.S)
    assert match, f"no row for {name} in {kind}"
    return match.group(1)


def _count(row: str) -> int:
    return int(re.search(r'<td class="count">(\d+)</td>', row).group(1))


def test_requests_appear_under_their_route_with_their_count(staff_client):
    for _ in range(3):
        APIClient().get("/health/live")
    APIClient().get("/no/such/page/")
    body = staff_client.get(PAGE).content.decode()
    assert _count(_row(body, "http", "health-live")) == 3
    assert _count(_row(body, "http", "unmatched")) == 1
    assert "style=" not in body[body.index('id="content-main"') :]  # the charts are SVG attributes only


def test_a_task_run_appears_under_its_name(staff_client, monkeypatch):
    import django.db

    # Tasks close stale connections around themselves; in a test that would close the test's transaction.
    monkeypatch.setattr(django.db, "close_old_connections", lambda: None)
    ping.apply(args=("x",))
    ping.apply(args=("y",))
    body = staff_client.get(PAGE).content.decode()
    assert _count(_row(body, "task", "monitoring.ping")) == 2


def test_an_order_filled_shows_in_the_order_flow(staff_client, market, trader, run):
    response = jwt_client(trader).post("/api/v1/orders/", BODY, format="json")
    assert response.status_code == 201, response.content
    run(services.order_submit, order_id=response.json()["id"])
    body = staff_client.get(PAGE).content.decode()
    assert _count(_row(body, "order", "POST to ack")) == 1
    assert _count(_row(body, "order", "POST to fill")) == 1


def test_broker_calls_show_by_endpoint(staff_client, live_account, fake):
    AngelOneBroker(live_account.account).funds()
    body = staff_client.get(PAGE).content.decode()
    assert _count(_row(body, "broker", f"angelone {ep.RMS.path}")) == 1


@pytest.mark.parametrize("who", ["trader", "anonymous"])
def test_traders_and_strangers_are_sent_to_the_admin_login(client, who):
    if who == "trader":
        client.force_login(UserFactory())
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_only_the_last_hour_counts(monkeypatch):
    start = 1_800_000_000.0
    monkeypatch.setattr(perf_samples, "wall_clock", lambda: start)
    perf_samples.record("http", "old", 0.004)
    monkeypatch.setattr(perf_samples, "wall_clock", lambda: start + 59 * 60)
    perf_samples.record("http", "old", 0.004)
    perf_samples.record("http", "new", 0.004)
    assert {s.name: s.count for s in perf_samples.summary("http")} == {"old": 2, "new": 1}
    monkeypatch.setattr(perf_samples, "wall_clock", lambda: start + 60 * 60)
    old = {s.name: s for s in perf_samples.summary("http")}["old"]
    assert old.count == 1 and old.minutes[-2] == 1  # the first sample has left the window


def test_percentiles_come_from_the_buckets():
    for ms in [3] * 90 + [150] * 9 + [4000]:
        perf_samples.record("task", "t", ms / 1000)
    (stats,) = perf_samples.summary("task")
    assert stats.count == 100
    assert 2 < stats.p50_ms <= 5  # the 2-5 ms bucket
    assert 100 < stats.p95_ms <= 200
    assert 100 < stats.p99_ms <= 200  # the 99th of 100 is the last 150 ms one
    assert stats.mean_ms == pytest.approx((90 * 3 + 9 * 150 + 4000) / 100)


def test_percentile_of_nothing_is_zero_and_beyond_the_last_bucket_is_its_bound():
    assert perf_samples.percentile([0] * (len(perf_samples.BUCKETS_MS) + 1), 0.5) == 0.0
    slow = [0] * len(perf_samples.BUCKETS_MS) + [5]
    assert perf_samples.percentile(slow, 0.99) == perf_samples.BUCKETS_MS[-1]


@requires_redis()
def test_with_redis_a_sample_from_another_process_shows_here():
    code = (
        "import django; django.setup(); from monitoring import perf_samples; "
        "perf_samples.record('task', 'elsewhere', 0.03)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "trading.settings"}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    (stats,) = [s for s in perf_samples.summary("task") if s.name == "elsewhere"]
    assert stats.count == 1 and 20 < stats.p50_ms <= 50
