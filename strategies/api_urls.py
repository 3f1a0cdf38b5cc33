from django.urls import path

from .api import backtests, catalog, sweeps

urlpatterns = [
    path("strategies/", catalog.StrategyListApi.as_view(), name="strategies"),
    path("backtests/", backtests.BacktestListCreateApi.as_view(), name="backtests"),
    path("backtests/compare/", backtests.BacktestCompareApi.as_view(), name="backtests-compare"),
    path("backtests/<int:backtest_id>/", backtests.BacktestDetailApi.as_view(), name="backtest"),
    path("sweeps/", sweeps.SweepListCreateApi.as_view(), name="sweeps"),
    path("sweeps/<int:sweep_id>/", sweeps.SweepDetailApi.as_view(), name="sweep"),
]
