from django.contrib.auth.decorators import login_required
from django.urls import path

from core.views import coming_soon

from .views import backtests, compare, sweeps

app_name = "strategies"

urlpatterns = [
    # Running strategies on paper and live (the next step) lands here.
    path("", login_required(coming_soon), {"page": "strategies"}, name="home"),
    path("backtests/", backtests.backtests_page, name="backtests"),
    path("backtests/params/", backtests.params_partial, name="params"),
    path("backtests/<int:backtest_id>/", backtests.backtest_page, name="backtest"),
    path("backtests/<int:backtest_id>/progress/", backtests.backtest_progress, name="backtest-progress"),
    path("compare/", compare.compare_page, name="compare"),
    path("sweeps/", sweeps.sweeps_page, name="sweeps"),
    path("sweeps/<int:sweep_id>/", sweeps.sweep_page, name="sweep"),
    path("sweeps/<int:sweep_id>/progress/", sweeps.sweep_progress, name="sweep-progress"),
]
