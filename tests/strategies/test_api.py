"""The backtest API end to end in-process: validation, the run (called as the worker would), the report."""

from decimal import Decimal

import pytest

from strategies import services
from strategies.models import Backtest
from tests.accounts.factories import UserFactory
from tests.conftest import jwt_client
from tests.strategies.factories import BACKTEST_BODY, instrument_with_candles

pytestmark = pytest.mark.django_db

BODY = BACKTEST_BODY


@pytest.fixture
def sbin(db):
    return instrument_with_candles("SBIN-EQ", count=400)


def create(client, **changes):
    return client.post("/api/v1/backtests/", {**BODY, **changes}, format="json")


def test_strategies_are_listed_with_parameter_schemas(auth_client):
    response = auth_client.get("/api/v1/strategies/")
    assert response.status_code == 200
    by_name = {s["name"]: s for s in response.json()}
    assert {"sma_crossover", "rsi_reversion", "donchian_breakout", "opening_range_breakout", "trend_bracket"} <= set(
        by_name
    )
    fast = by_name["sma_crossover"]["params_schema"]["properties"]["fast"]
    assert fast["type"] == "integer" and fast["default"] == 10 and fast["minimum"] == 1
    assert by_name["sma_crossover"]["params_schema"]["properties"]["allow_short"]["type"] == "boolean"


def test_a_backtest_is_queued_run_and_reported(auth_client, sbin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = create(auth_client)
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "QUEUED" and body["progress"] == 0 and len(queued) == 1
    assert body["bars_total"] == 364  # 2023-01-02 .. 2023-12-31 of the 400 daily candles

    services.backtest_run(backtest_id=body["id"])  # what the worker's task does

    detail = auth_client.get(f"/api/v1/backtests/{body['id']}/").json()
    assert detail["status"] == "DONE" and detail["progress"] == 100 and detail["bars_processed"] == 364
    metrics = detail["metrics"]
    for key in (
        "final_equity",
        "total_return",
        "cagr",
        "sharpe",
        "sortino",
        "max_drawdown",
        "num_trades",
        "win_rate",
        "profit_factor",
        "expectancy",
        "exposure_time",
        "total_charges",
        "calmar",
    ):
        assert key in metrics
    assert metrics["num_trades"] == len(detail["trades"]) > 0
    assert Decimal(metrics["total_charges"]) > 0  # the Indian charges apply
    net = sum(Decimal(t["pnl"]) for t in detail["trades"] + detail["open_trades"])
    assert Decimal(metrics["final_equity"]) == pytest.approx(Decimal("1000000") + net, abs=Decimal("0.05"))
    assert detail["equity"][0]["time"].endswith("Z") and len(detail["equity"]) == 364
    assert {"entry_time", "entry_price", "exit_time", "exit_price", "quantity", "pnl", "charges"} <= set(
        detail["trades"][0]
    )


def test_someone_elses_backtest_is_not_found(auth_client, sbin):
    other = UserFactory()
    backtest = services.backtest_create(user=other, **BODY)
    assert auth_client.get(f"/api/v1/backtests/{backtest.id}/").status_code == 404
    assert auth_client.patch(f"/api/v1/backtests/{backtest.id}/", {"label": "x"}, format="json").status_code == 404
    assert auth_client.get("/api/v1/backtests/").json()["count"] == 0
    assert jwt_client(other).get(f"/api/v1/backtests/{backtest.id}/").status_code == 200


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    # The JSON has the right shape in each (400 is for a malformed body), but it cannot run as asked: 422.
    [
        ({"strategy": "nope"}, 422, "unknown_strategy", "strategy"),
        ({"params": {"fast": 5, "slow": 20, "speed": 1}}, 422, "unknown_param", "params.speed"),
        ({"params": {"fast": 0, "slow": 20}}, 422, "param_out_of_range", "params.fast"),
        ({"params": {"fast": 30, "slow": 20}}, 422, "param_out_of_range", "params.fast"),
        ({"params": {"fast": "ten"}}, 422, "invalid_param", "params.fast"),
        ({"symbols": ["NSE:NOPE-EQ"]}, 422, "unknown_symbol", "symbols"),
        ({"symbols": ["XX:SBIN-EQ"]}, 422, "unknown_symbol", "symbols"),
        ({"start": "2019-01-01", "end": "2019-12-31"}, 422, "no_candles", "start"),
        ({"interval": "1h"}, 422, "no_candles", "symbols"),
        ({"start": "2023-06-01", "end": "2023-01-01"}, 422, "invalid_range", "end"),
        ({"start": "yesterday"}, 422, "invalid_datetime", "start"),
        ({"initial_cash": "-5"}, 422, "invalid_input", "initial_cash"),
        ({"costs": {"model": "zerodha"}}, 422, "invalid_input", "costs.model"),
        ({"costs": {"model": "india", "product": "NRML"}}, 422, "product_not_allowed", "costs.product"),
        ({"costs": {"model": "flat", "per_trade": "20"}}, 422, "unknown_field", "costs.per_trade"),
        ({"sizing": {"mode": "percent_equity", "value": 150}}, 422, "invalid_input", "sizing.value"),
        ({"sizing": {"mode": "kelly"}}, 422, "invalid_input", "sizing.mode"),
        ({"colour": "blue"}, 400, "unknown_field", "colour"),
    ],
)
def test_bad_input_is_a_clear_4xx_naming_the_field(auth_client, sbin, changes, status, code, field):
    response = create(auth_client, **changes)
    assert response.status_code == status, response.json()
    error = response.json()["error"]
    assert error["code"] == code
    assert field in error["fields"], error
    assert Backtest.objects.count() == 0


def test_labels_and_comparison_side_by_side(auth_client, user, sbin):
    ids = []
    for fast in (5, 10):
        backtest = services.backtest_create(user=user, **{**BODY, "params": {"fast": fast, "slow": 20}})
        services.backtest_run(backtest_id=backtest.id)
        ids.append(backtest.id)
    assert auth_client.patch(f"/api/v1/backtests/{ids[0]}/", {"label": "fast five"}, format="json").status_code == 200
    listed = auth_client.get("/api/v1/backtests/?label=five").json()
    assert [b["id"] for b in listed["results"]] == [ids[0]]

    compared = auth_client.get(f"/api/v1/backtests/compare/?ids={ids[0]},{ids[1]}").json()
    assert [b["id"] for b in compared["backtests"]] == ids
    assert compared["backtests"][0]["label"] == "fast five"
    assert compared["backtests"][0]["metrics"]["final_equity"] != compared["backtests"][1]["metrics"]["final_equity"]
    assert set(compared["equity"]) == {str(i) for i in ids} and len(compared["equity"][str(ids[1])]) == 364

    assert auth_client.get(f"/api/v1/backtests/compare/?ids={ids[0]}").json()["error"]["code"] == "invalid_compare"
    assert auth_client.get(f"/api/v1/backtests/compare/?ids={ids[0]},999999").status_code == 404


def test_a_strategy_that_raises_fails_its_backtest_with_the_error_recorded(auth_client, user, sbin, monkeypatch):
    from strategies.builtin.sma_crossover import SmaCrossover

    def broken(self, bar):
        if bar.index == 50:
            raise ZeroDivisionError("my bug")

    monkeypatch.setattr(SmaCrossover, "on_bar", broken)
    backtest = services.backtest_create(user=user, **BODY)
    services.backtest_run(backtest_id=backtest.id)
    detail = auth_client.get(f"/api/v1/backtests/{backtest.id}/").json()
    assert detail["status"] == "FAILED"
    assert detail["error"].startswith("ZeroDivisionError: my bug at 2023-")
    assert detail["bars_processed"] == 51


def test_a_redelivered_task_does_nothing_once_the_backtest_is_done(user, sbin):
    backtest = services.backtest_create(user=user, **BODY)
    services.backtest_run(backtest_id=backtest.id)
    backtest.refresh_from_db()
    finished = backtest.finished_at
    services.backtest_run(backtest_id=backtest.id)
    backtest.refresh_from_db()
    assert backtest.attempts == 1 and backtest.finished_at == finished


def test_a_backtest_whose_worker_died_is_queued_again_and_finished(user, sbin, monkeypatch):
    from datetime import timedelta

    from core import clock

    backtest = services.backtest_create(user=user, **BODY)
    long_ago = clock.now() - timedelta(minutes=10)
    Backtest.objects.filter(id=backtest.id).update(status="RUNNING", heartbeat_at=long_ago, attempts=1)
    queued = []
    monkeypatch.setattr("strategies.tasks.backtest_run.delay", lambda backtest_id: queued.append(backtest_id))
    assert services.backtests_recover() == 1 and queued == [backtest.id]
    services.backtest_run(backtest_id=backtest.id)
    backtest.refresh_from_db()
    assert backtest.status == "DONE" and backtest.attempts == 2


def test_a_running_backtest_with_a_live_worker_is_left_alone(user, sbin):
    from core import clock

    backtest = services.backtest_create(user=user, **BODY)
    Backtest.objects.filter(id=backtest.id).update(status="RUNNING", heartbeat_at=clock.now(), attempts=1)
    assert services.backtests_recover() == 0
    services.backtest_run(backtest_id=backtest.id)  # a duplicate delivery while the first still runs
    backtest.refresh_from_db()
    assert backtest.status == "RUNNING" and backtest.attempts == 1
