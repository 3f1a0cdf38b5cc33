"""The backtest form as a trader meets it: symbols as traders write them, the stored range when the dates are
left empty, errors in plain words, and a warning when a report rests on too few trades."""

import pytest

from strategies import services
from strategies.models import Backtest
from tests.marketdata.factories import InstrumentFactory
from tests.strategies.factories import daily_start, instrument_with_candles

pytestmark = pytest.mark.django_db

FORM = {
    "strategy": "sma_crossover",
    "symbols": "SBIN",
    "interval": "1d",
    "start": "",
    "end": "",
    "initial_cash": "1000000",
    "costs.model": "india",
    "costs.product": "CNC",
    "sizing.mode": "percent_equity",
    "sizing.value": "100",
    "slippage_ticks": "0",
    "params.fast": "5",
    "params.slow": "20",
    "params.allow_short": "false",
}


@pytest.fixture
def sbin(db):
    return instrument_with_candles("SBIN-EQ", count=400)


@pytest.fixture
def logged_in(client, user, sbin):
    client.force_login(user)
    return client


@pytest.mark.parametrize("written", ["SBIN", "sbin", " NSE:SBIN-EQ ", "nse:sbin-eq", "SBIN-EQ"])
def test_a_symbol_is_taken_as_traders_write_it(logged_in, written):
    response = logged_in.post("/strategies/backtests/", {**FORM, "symbols": written})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Backtest.objects.get().symbols == ["NSE:SBIN-EQ"]


def test_empty_dates_run_over_the_stored_candles(logged_in, sbin):
    response = logged_in.post("/strategies/backtests/", FORM)
    assert response.status_code == 302
    backtest = Backtest.objects.get()
    assert backtest.start == daily_start("2023-01-02")
    assert backtest.end == daily_start("2023-01-02") + (400 * (daily_start("2023-01-03") - daily_start("2023-01-02")))


def test_the_form_says_which_range_is_stored(logged_in):
    page = logged_in.get("/strategies/backtests/").content.decode()
    assert 'data-testid="stored-range"' in page and "2023-01-02" in page


def test_an_ambiguous_symbol_names_the_choices(logged_in):
    InstrumentFactory(exchange="BSE", symbol="SBIN", name="SBIN", token="500112")
    response = logged_in.post("/strategies/backtests/", {**FORM, "symbols": "sbin"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "NSE:SBIN-EQ" in page and "BSE:SBIN" in page and "Which one" in page


@pytest.mark.parametrize(
    ("change", "plain", "jargon"),
    [
        ({"symbols": "NOSUCH"}, "No instrument is called NOSUCH", "EXCHANGE:SYMBOL"),
        ({"symbols": ""}, "Choose at least one instrument", "`symbols`"),
        ({"start": "2023-06-01", "end": "2023-05-01"}, "The end date must be after the start date", "`end`"),
        ({"start": "2030-01-01", "end": "2030-02-01"}, "No daily candles for SBIN", "manage.py"),
        ({"initial_cash": "-5"}, "Starting cash must be a positive amount", "`initial_cash`"),
        ({"params.fast": "0"}, "Fast must be from 1 to 1000, not 0.", "params.fast:"),
    ],
)
def test_errors_are_in_plain_words(logged_in, change, plain, jargon):
    response = logged_in.post("/strategies/backtests/", {**FORM, **change})
    page = response.content.decode()
    assert response.status_code == 422
    assert plain in page and jargon not in page


def test_the_api_takes_a_plain_symbol_and_the_stored_range_too(auth_client, sbin):
    body = {"strategy": "sma_crossover", "symbols": ["sbin"], "interval": "1d", "initial_cash": "100000"}
    response = auth_client.post("/api/v1/backtests/", body, format="json")
    assert response.status_code == 202, response.json()
    assert response.json()["symbols"] == ["NSE:SBIN-EQ"]
    assert response.json()["start"].startswith("2023-01-01T18:30")


def test_a_report_on_few_trades_warns_that_it_is_noise(logged_in):
    logged_in.post("/strategies/backtests/", FORM)
    backtest = Backtest.objects.get()
    services.backtest_run(backtest_id=backtest.id)
    backtest.refresh_from_db()
    trades = backtest.metrics["num_trades"]
    assert trades < 30
    page = logged_in.get(f"/strategies/backtests/{backtest.id}/").content.decode()
    assert 'data-testid="few-trades"' in page and f"Only {trades} trade" in page


def test_a_sweep_ranked_on_few_trades_warns_that_it_is_noise(client, user, sbin, monkeypatch):
    sent = []
    monkeypatch.setattr("strategies.tasks.sweep_run_chunk.delay", lambda *a: sent.append(a))
    body = {
        **FORM,
        "symbols": "NSE:SBIN-EQ",
        "grid.fast": "3, 5",
        "grid.slow": "20",
        "metric": "sharpe",
        "mode": "grid",
    }
    body.pop("params.fast"), body.pop("params.slow")
    client.force_login(user)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/strategies/sweeps/", body)
    assert response.status_code == 302, response.content.decode()[:3000]
    for args in sent:
        services.sweep_run_chunk(sweep_id=args[0], first=args[1], last=args[2])
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="few-trades"' in page and "fewer than 30 trades" in page
