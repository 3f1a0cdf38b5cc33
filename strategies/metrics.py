"""Backtests and sweeps running now (served at /metrics by monitoring): counted in the database at scrape
time, so a worker that died mid-run shows until recovery marks its run failed, as the dashboard does."""

from prometheus_client.core import GaugeMetricFamily


def backtests_running_collector():
    from .models import Backtest, RunStatus, Sweep

    family = GaugeMetricFamily("backtests_running", "Backtests and sweeps running now, by kind.", labels=["kind"])
    family.add_metric(["backtest"], Backtest.objects.filter(status=RunStatus.RUNNING).count())
    family.add_metric(["sweep"], Sweep.objects.filter(status=RunStatus.RUNNING).count())
    return [family]
