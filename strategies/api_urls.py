from django.urls import path

from .api import backtests, catalog, runs, sweeps

urlpatterns = [
    path("strategies/", catalog.StrategyListApi.as_view(), name="strategies"),
    path("strategies/runs/", runs.RunListCreateApi.as_view(), name="strategy-runs"),
    path("strategies/runs/<int:run_id>/", runs.RunDetailApi.as_view(), name="strategy-run"),
    path("strategies/runs/<int:run_id>/stop/", runs.RunStopApi.as_view(), name="strategy-run-stop"),
    path("backtests/", backtests.BacktestListCreateApi.as_view(), name="backtests"),
    path("backtests/compare/", backtests.BacktestCompareApi.as_view(), name="backtests-compare"),
    path("backtests/<int:backtest_id>/", backtests.BacktestDetailApi.as_view(), name="backtest"),
    path("sweeps/", sweeps.SweepListCreateApi.as_view(), name="sweeps"),
    path("sweeps/<int:sweep_id>/", sweeps.SweepDetailApi.as_view(), name="sweep"),
]
