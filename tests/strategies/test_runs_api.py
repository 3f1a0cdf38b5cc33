"""Strategy runs through the API and the dashboard: validation (400/422), ownership (404), stop (409 twice)."""

import pytest

from strategies.models import LiveStatus, StrategyRun
from tests.accounts.factories import UserFactory
from tests.conftest import jwt_client
from tests.orders.conftest import market, trader  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
URL = "/api/v1/strategies/runs/"
BODY = {"strategy": "sma_crossover", "params": {"fast": 5, "slow": 20}, "symbols": ["NSE:SBIN-EQ"], "interval": "5m"}


@pytest.fixture
def client(trader, market):  # noqa: F811
    return jwt_client(trader)


def error(response) -> tuple[int, str, str | None]:
    body = response.json()["error"]
    field = next(iter(body.get("fields") or {}), None)
    return response.status_code, body["code"], field


def test_a_run_starts_with_its_inputs_checked_and_filled_in(client, trader):  # noqa: F811
    response = client.post(URL, BODY, format="json")
    assert response.status_code == 201
    run = response.json()
    assert run["status"] == "STARTING" and run["account_mode"] == "paper" and run["tag"] == f"run:{run['id']}"
    assert run["params"] == {"fast": 5, "slow": 20, "allow_short": False}
    assert run["sizing"] == {"mode": "fixed_quantity", "value": "1"} and run["product"] == "CNC"
    assert StrategyRun.objects.get(id=run["id"]).user == trader


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"strategy": "nope"}, (422, "unknown_strategy", "strategy")),
        ({"params": {"fast": 30, "slow": 20}}, (422, "param_out_of_range", "params.fast")),
        ({"params": {"speed": 3}}, (422, "unknown_param", "params.speed")),
        ({"symbols": ["NSE:NOPE-EQ"]}, (422, "unknown_symbol", "symbols")),
        ({"product": "NRML"}, (422, "product_not_allowed", "product")),
        ({"sizing": {"mode": "percent_equity", "value": 150}}, (422, "invalid_input", "sizing.value")),
        ({"interval": "7m"}, (400, "validation_error", "interval")),
        ({"symbols": []}, (400, "validation_error", "symbols")),
        ({"start": "2024-01-01"}, (400, "unknown_field", "start")),
    ],
)
def test_bad_input_is_refused_with_the_backtest_codes(client, changes, expected):
    response = client.post(URL, {**BODY, **changes}, format="json")
    status, code, field = error(response)
    assert (status, field) == (expected[0], expected[2]) and code == expected[1], response.json()
    assert not StrategyRun.objects.exists()


def test_someone_elses_run_is_not_found_and_cannot_be_stopped(client):
    run_id = client.post(URL, BODY, format="json").json()["id"]
    other = UserFactory()
    stranger = jwt_client(other)
    assert error(stranger.get(f"{URL}{run_id}/")) == (404, "run_not_found", None)
    assert error(stranger.post(f"{URL}{run_id}/stop/")) == (404, "run_not_found", None)
    assert stranger.get(URL).json()["results"] == []
    assert StrategyRun.objects.get(id=run_id).status == LiveStatus.STARTING


def test_a_run_stops_once_and_the_list_is_paginated(client):
    ids = [client.post(URL, BODY, format="json").json()["id"] for _ in range(3)]
    stopped = client.post(f"{URL}{ids[0]}/stop/")
    assert stopped.status_code == 200 and stopped.json()["status"] == "STOPPED" and stopped.json()["stopped_at"]
    assert error(client.post(f"{URL}{ids[0]}/stop/")) == (409, "run_not_active", None)
    page = client.get(URL, {"page_size": 2}).json()
    assert page["count"] == 3 and [r["id"] for r in page["results"]] == ids[::-1][:2]
    assert [r["id"] for r in client.get(URL, {"status": "STOPPED"}).json()["results"]] == [ids[0]]
    assert error(client.get(URL, {"status": "LATE"}))[:2] == (400, "invalid_status")


def test_the_runs_page_starts_a_run_shows_it_and_stops_it(client, trader, password):  # noqa: F811
    from django.test import Client

    trader.set_password(password)
    trader.save()
    browser = Client()
    assert browser.login(username=trader.username, password=password)
    form = {
        "strategy": "sma_crossover",
        "params.fast": "5",
        "params.slow": "20",
        "symbols": "nse:sbin-eq",
        "interval": "5m",
        "product": "",
        "sizing.mode": "fixed_quantity",
        "sizing.value": "1",
    }
    assert browser.post("/strategies/", form).status_code == 302
    run = StrategyRun.objects.get(user=trader)
    assert run.symbols == ["NSE:SBIN-EQ"] and run.params["fast"] == 5
    html = browser.get("/strategies/").content.decode()
    assert f'data-run-id="{run.id}" data-status="STARTING"' in html and 'data-testid="run-stop"' in html
    bad = browser.post("/strategies/", {**form, "params.fast": "50"})
    assert bad.status_code == 422 and "must be less than slow" in bad.content.decode()
    stopped = browser.post(f"/strategies/runs/{run.id}/stop/", HTTP_HX_REQUEST="true")
    assert stopped.status_code == 200 and 'data-status="STOPPED"' in stopped.content.decode()
    other = StrategyRun.objects.create(
        user=UserFactory(), strategy="sma_crossover", interval="5m", account_mode="paper"
    )
    assert browser.post(f"/strategies/runs/{other.id}/stop/").status_code == 404
    assert StrategyRun.objects.get(id=other.id).status == LiveStatus.STARTING
