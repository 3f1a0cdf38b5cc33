"""Admins read backtests, sweeps and strategy runs, with filters; they cannot edit or add them."""

import pytest

from strategies.models import Backtest, StrategyRun
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_runs_and_backtests_are_listed_filtered_and_read_only(admin_client):
    trader = UserFactory()
    run = StrategyRun.objects.create(
        user=trader, strategy="sma_crossover", interval="1m", account_mode="paper", status="RUNNING"
    )
    stopped = StrategyRun.objects.create(
        user=trader, strategy="rsi_reversion", interval="1m", account_mode="paper", status="STOPPED"
    )
    listing = admin_client.get("/admin/strategies/strategyrun/", {"status__exact": "RUNNING"}).content.decode()
    assert f"/strategyrun/{run.id}/change/" in listing and f"/strategyrun/{stopped.id}/change/" not in listing
    detail = admin_client.get(f"/admin/strategies/strategyrun/{run.id}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert admin_client.get("/admin/strategies/strategyrun/add/").status_code == 403
    backtest = Backtest.objects.create(
        user=trader,
        strategy="sma_crossover",
        symbols=["NSE:SBIN-EQ"],
        interval="1d",
        start="2023-01-01T00:00Z",
        end="2024-01-01T00:00Z",
        initial_cash=100000,
        label="mine",
    )
    listing = admin_client.get("/admin/strategies/backtest/", {"q": "mine"}).content.decode()
    assert f">{backtest.id}<" in listing
    assert admin_client.get("/admin/strategies/sweep/").status_code == 200
