from django.urls import path

from .views import backtests, compare, runs, sweeps

app_name = "strategies"

urlpatterns = [
    path("", runs.runs_page, name="home"),
    path("runs/", runs.runs_partial, name="runs-partial"),
    path("runs/<int:run_id>/stop/", runs.run_stop, name="run-stop"),
    path("backtests/", backtests.backtests_page, name="backtests"),
    path("backtests/params/", backtests.params_partial, name="params"),
    path("backtests/<int:backtest_id>/", backtests.backtest_page, name="backtest"),
    path("backtests/<int:backtest_id>/progress/", backtests.backtest_progress, name="backtest-progress"),
    path("compare/", compare.compare_page, name="compare"),
    path("sweeps/", sweeps.sweeps_page, name="sweeps"),
    path("sweeps/<int:sweep_id>/", sweeps.sweep_page, name="sweep"),
    path("sweeps/<int:sweep_id>/progress/", sweeps.sweep_progress, name="sweep-progress"),
]
