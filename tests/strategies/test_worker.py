"""The task path with a real Celery worker process: queued by the API, run by the worker, progress stored."""

import time

import pytest

from strategies.models import Backtest, Sweep
from tests.strategies.factories import BACKTEST_BODY, instrument_with_candles

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BODY = {**BACKTEST_BODY, "end": "2024-12-31"}


def wait_for(read, done, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = read()
        if done(value):
            return value
        time.sleep(0.2)
    raise AssertionError(f"not done within {timeout} s: {value}")


def test_a_worker_runs_a_queued_backtest_to_done(own_worker, auth_client):
    instrument_with_candles("SBIN-EQ", count=700)
    response = auth_client.post("/api/v1/backtests/", BODY, format="json")
    assert response.status_code == 202
    backtest_id = response.json()["id"]

    row = wait_for(lambda: Backtest.objects.get(id=backtest_id), lambda b: b.status in ("DONE", "FAILED"))
    assert row.status == "DONE", (row.error, own_worker.log_tail())
    assert row.progress == 100 and row.bars_processed == row.bars_total == 700
    assert row.attempts == 1 and row.metrics["num_trades"] == len(row.trades) > 0

    detail = auth_client.get(f"/api/v1/backtests/{backtest_id}/").json()
    assert detail["status"] == "DONE" and detail["metrics"]["final_equity"] == row.metrics["final_equity"]


def test_a_sweep_is_split_across_worker_tasks(own_worker, auth_client):
    instrument_with_candles("SBIN-EQ", count=700)
    body = {**BODY, "grid": {"fast": [3, 5, 8, 13], "slow": [21, 34]}, "metric": "sharpe"}
    del body["params"]
    response = auth_client.post("/api/v1/sweeps/", body, format="json")
    assert response.status_code == 202
    sweep_id = response.json()["id"]

    sweep = wait_for(lambda: Sweep.objects.get(id=sweep_id), lambda s: s.status in ("DONE", "FAILED"))
    assert sweep.status == "DONE" and sweep.completed == sweep.total == 8
    detail = auth_client.get(f"/api/v1/sweeps/{sweep_id}/").json()
    assert all(r["error"] == "" and r["metrics"] for r in detail["results"])
    assert detail["heatmap"]["x_values"] == [3, 5, 8, 13]
