"""The dashboard pages for backtests, sweeps and comparisons (Django's test client, session login)."""

import json
import re

import pytest

from strategies import services
from strategies.models import Backtest, Sweep
from tests.accounts.factories import UserFactory
from tests.strategies.factories import BACKTEST_FORM, instrument_with_candles

pytestmark = pytest.mark.django_db

FORM = BACKTEST_FORM


@pytest.fixture
def browser_client(client, user, db):
    instrument_with_candles("SBIN-EQ", count=400)
    client.force_login(user)
    return client


def test_the_form_is_built_from_the_strategys_schema(browser_client):
    page = browser_client.get("/strategies/backtests/").content.decode()
    assert 'name="params.fast"' in page and 'min="1"' in page and 'name="params.allow_short"' in page
    assert '<option value="sma_crossover" selected>SMA crossover</option>' in page
    partial = browser_client.get("/strategies/backtests/params/?strategy=rsi_reversion").content.decode()
    assert 'name="params.oversold"' in partial and 'name="params.fast"' not in partial
    sweep_partial = browser_client.get("/strategies/backtests/params/?strategy=rsi_reversion&sweep=1").content.decode()
    assert 'name="grid.oversold"' in sweep_partial
    assert 'data-testid="nav-backtests"' in page


def test_a_backtest_from_the_form_shows_progress_then_the_report(browser_client, user):
    response = browser_client.post("/strategies/backtests/", FORM)
    assert response.status_code == 302
    backtest = Backtest.objects.get()
    assert response["Location"] == f"/strategies/backtests/{backtest.id}/"
    page = browser_client.get(response["Location"]).content.decode()
    assert 'data-status="QUEUED"' in page and 'hx-trigger="every 1s"' in page and "<progress" in page

    services.backtest_run(backtest_id=backtest.id)
    progress = browser_client.get(f"/strategies/backtests/{backtest.id}/progress/")
    assert progress["HX-Refresh"] == "true" and 'data-status="DONE"' in progress.content.decode()

    page = browser_client.get(f"/strategies/backtests/{backtest.id}/").content.decode()
    assert 'data-metric="final_equity"' in page and 'data-metric="sharpe"' in page
    assert 'data-chart="equity"' in page and 'data-chart="drawdown"' in page
    equity = json.loads(re.search(r'<script id="equity-data" type="application/json">(.*?)</script>', page, re.S)[1])
    assert len(equity) == 364 and set(equity[0]) == {"time", "equity", "drawdown"}
    assert 'data-testid="trades-table"' in page and "IST" in page
    assert 'hx-trigger="every 1s"' not in page  # the run is over: nothing left to poll


def test_form_errors_are_shown_beside_their_fields(browser_client):
    response = browser_client.post("/strategies/backtests/", {**FORM, "params.fast": "0"})
    assert response.status_code == 422
    page = response.content.decode()
    field = page[page.index('name="params.fast"') :]
    assert "Fast must be from 1 to 1000, not 0." in field[:800]
    response = browser_client.post("/strategies/backtests/", {**FORM, "start": "2010-01-01", "end": "2010-02-01"})
    assert response.status_code == 422 and "No daily candles for SBIN in that period" in response.content.decode()
    assert Backtest.objects.count() == 0


def test_someone_elses_pages_are_not_found(browser_client):
    other = services.backtest_create(
        user=UserFactory(),
        **{
            "strategy": "sma_crossover",
            "symbols": ["NSE:SBIN-EQ"],
            "interval": "1d",
            "start": "2023-01-01",
            "end": "2023-06-30",
            "initial_cash": "100000",
        },
    )
    assert browser_client.get(f"/strategies/backtests/{other.id}/").status_code == 404
    assert browser_client.get(f"/strategies/backtests/{other.id}/progress/").status_code == 404


def test_a_sweep_from_the_form_ends_in_a_heatmap(browser_client, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr("strategies.tasks.sweep_run_chunk.delay", lambda *a: None)
    form = {
        **FORM,
        "grid.fast": "3, 5, 8",
        "grid.slow": "20,30",
        "grid.allow_short": "false",
        "metric": "sharpe",
        "mode": "grid",
    }
    response = browser_client.post("/strategies/sweeps/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    sweep = Sweep.objects.get()
    services.sweep_run_chunk(sweep_id=sweep.id, first=0, last=sweep.total - 1)
    page = browser_client.get(f"/strategies/sweeps/{sweep.id}/").content.decode()
    assert 'data-testid="heatmap"' in page and 'data-testid="results-table"' in page
    assert page.count('class="num heat"') == 6


def test_two_backtests_side_by_side(browser_client, user):
    ids = []
    for fast in ("5", "10"):
        browser_client.post("/strategies/backtests/", {**FORM, "params.fast": fast, "label": f"fast {fast}"})
    for backtest in Backtest.objects.order_by("id"):
        services.backtest_run(backtest_id=backtest.id)
        ids.append(backtest.id)
    page = browser_client.get(f"/strategies/compare/?id={ids[0]}&id={ids[1]}").content.decode()
    assert 'data-testid="compare-table"' in page and "fast 5" in page and "fast 10" in page
    curves = json.loads(re.search(r'<script id="compare-data" type="application/json">(.*?)</script>', page, re.S)[1])
    assert [c["id"] for c in curves] == ids and all(len(c["time"]) == 364 for c in curves)
    bad = browser_client.get(f"/strategies/compare/?id={ids[0]}")
    assert bad.status_code == 422 and "Compare 2 to 6 backtests" in bad.content.decode()
