"""Parameter sweeps and walk-forward, run in-process as the worker tasks would run them."""

import pytest
from django.test import override_settings

from strategies import services
from strategies.data import series_cache_clear, stats
from strategies.models import Backtest, Sweep, SweepResult
from tests.strategies.factories import instrument_with_candles

pytestmark = pytest.mark.django_db

BODY = {
    "strategy": "sma_crossover",
    "symbols": ["NSE:SBIN-EQ"],
    "interval": "1d",
    "start": "2023-01-01",
    "end": "2024-06-30",
    "initial_cash": "500000",
}


@pytest.fixture
def sbin(db):
    series_cache_clear()
    return instrument_with_candles("SBIN-EQ", count=560)


def run_all_tasks(queued):
    for callback in queued:
        callback()


def test_a_grid_is_split_into_tasks_ranked_and_mapped(
    auth_client, sbin, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr("strategies.tasks.sweep_run_chunk.delay", lambda *a: sent.append(a))
    grid = {"fast": [3, 5, 10, 20], "slow": [10, 20, 40]}
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post("/api/v1/sweeps/", {**BODY, "grid": grid, "metric": "total_return"}, format="json")
    assert response.status_code == 202, response.json()
    sweep_id = response.json()["id"]
    # fast >= slow is no combination: 4 x 3 minus (10,10), (20,10), (20,20)
    assert response.json()["total"] == 9
    assert sorted(index for _, first, last in sent for index in range(first, last + 1)) == list(range(9))

    for args in sent:
        services.sweep_run_chunk(sweep_id=args[0], first=args[1], last=args[2])
    assert stats["loads"] == 1  # the bars were read once for all nine combinations

    detail = auth_client.get(f"/api/v1/sweeps/{sweep_id}/").json()
    assert detail["status"] == "DONE", (detail["completed"], detail["total"], detail["results"][:2])
    assert detail["completed"] == 9 and detail["progress"] == 100
    scores = [r["score"] for r in detail["results"]]
    assert scores == sorted(scores, reverse=True) and detail["results"][0]["rank"] == 1
    best = detail["results"][0]
    assert best["metrics"]["total_return"] == best["score"]

    heatmap = detail["heatmap"]
    assert (heatmap["x"], heatmap["y"]) == ("fast", "slow")
    assert heatmap["x_values"] == [3, 5, 10, 20] and heatmap["y_values"] == [10, 20, 40]
    cell = heatmap["cells"][heatmap["y_values"].index(best["params"]["slow"])][
        heatmap["x_values"].index(best["params"]["fast"])
    ]
    assert cell == best["score"]
    assert heatmap["cells"][0][3] is None  # fast 20 / slow 10 was never run

    # a combination's numbers equal a backtest of the same parameters
    backtest = services.backtest_create(user=Sweep.objects.get().user, **{**BODY, "params": best["params"]})
    services.backtest_run(backtest_id=backtest.id)
    assert Backtest.objects.get(id=backtest.id).metrics["final_equity"] == best["metrics"]["final_equity"]


def test_a_sweep_is_labelled_by_its_owner_only(auth_client, user, sbin, monkeypatch):
    from tests.accounts.factories import UserFactory

    monkeypatch.setattr("strategies.tasks.sweep_run_chunk.delay", lambda *a: None)
    mine = services.sweep_create(user=user, grid={"fast": [5, 10]}, **BODY)
    theirs = services.sweep_create(user=UserFactory(), grid={"fast": [5, 10]}, **BODY)
    response = auth_client.patch(f"/api/v1/sweeps/{mine.id}/", {"label": "fast only"}, format="json")
    assert response.status_code == 200 and response.json()["label"] == "fast only"
    assert auth_client.patch(f"/api/v1/sweeps/{theirs.id}/", {"label": "x"}, format="json").status_code == 404
    assert auth_client.get(f"/api/v1/sweeps/{theirs.id}/").status_code == 404
    assert [s["id"] for s in auth_client.get("/api/v1/sweeps/").json()["results"]] == [mine.id]


def test_a_redelivered_chunk_runs_nothing_twice(user, sbin, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr("strategies.tasks.sweep_run_chunk.delay", lambda *a: None)
    with django_capture_on_commit_callbacks(execute=True):
        sweep = services.sweep_create(user=user, grid={"fast": [5, 10]}, **BODY)
    services.sweep_run_chunk(sweep_id=sweep.id, first=0, last=1)
    services.sweep_run_chunk(sweep_id=sweep.id, first=0, last=1)
    sweep.refresh_from_db()
    assert sweep.completed == 2 and sweep.status == "DONE"


@pytest.mark.parametrize(
    ("grid", "code", "field"),
    [
        ({"fast": list(range(1, 30)), "slow": list(range(31, 60))}, "sweep_too_large", "grid"),
        ({"speed": [1, 2]}, "unknown_param", "grid.speed"),
        ({"fast": [0, 5]}, "param_out_of_range", "params.fast"),
        ({"fast": []}, "invalid_input", "grid.fast"),
        ({"fast": [30, 40], "slow": [10, 20]}, "invalid_param", "params.fast"),
    ],
)
def test_bad_sweeps_are_refused_with_the_field_named(auth_client, sbin, grid, code, field):
    response = auth_client.post("/api/v1/sweeps/", {**BODY, "grid": grid}, format="json")
    assert 400 <= response.status_code < 500
    error = response.json()["error"]
    assert (error["code"], field in error["fields"]) == (code, True), error
    assert Sweep.objects.count() == 0


@override_settings(SWEEP_MAX_BAR_RUNS=1000)
def test_too_much_work_is_refused_even_with_few_combinations(auth_client, sbin):
    response = auth_client.post("/api/v1/sweeps/", {**BODY, "grid": {"fast": [5, 10, 15]}}, format="json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "sweep_too_large"


def test_walk_forward_reports_out_of_sample_beside_in_sample(
    auth_client, sbin, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr("strategies.tasks.walkforward_run_window.delay", lambda *a: sent.append(a))
    body = {
        **BODY,
        "grid": {"fast": [3, 5, 10], "slow": [20, 30]},
        "mode": "walk_forward",
        "walk_forward": {"train_days": 180, "test_days": 90},
        "metric": "sharpe",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post("/api/v1/sweeps/", body, format="json")
    assert response.status_code == 202, response.json()
    windows = response.json()["total"]
    assert windows == len(sent) == 5  # 546 days: 180 train, then 90-day tests starting every 90 days
    for sweep_id, index in sent:
        services.walkforward_run_window(sweep_id=sweep_id, index=index)

    detail = auth_client.get(f"/api/v1/sweeps/{sent[0][0]}/").json()
    assert detail["status"] == "DONE"
    result = detail["walk_forward_result"]
    assert len(result["windows"]) == windows
    first = result["windows"][0]
    assert first["test_start"] - first["train_start"] == 180 * 86400
    assert first["params"]["fast"] in (3, 5, 10) and "sharpe" in first["in_sample"]
    assert "total_return" in first["out_of_sample"]
    curve = result["equity"]
    assert len(curve["time"]) == len(curve["out_of_sample"]) == len(curve["in_sample_promise"]) > 100
    assert curve["time"][0] >= first["test_start"]  # out-of-sample only: nothing from a training window
    assert curve["out_of_sample"][0] == "500000.00"
    stitched = 1.0
    for window in result["windows"]:
        stitched *= 1 + window["out_of_sample"]["total_return"] / 100
    assert result["out_of_sample_return"] == pytest.approx(100 * (stitched - 1), abs=0.01)
    assert SweepResult.objects.filter(error="").count() == windows
