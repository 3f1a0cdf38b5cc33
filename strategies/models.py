"""Backtests and parameter sweeps, as the API and the dashboard see them.

A backtest row holds its inputs (as validated, so a rerun means the same
thing), its progress while it runs, and its report when done: metrics, the
trades and a downsampled equity curve (JSON; the list views defer them).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from marketdata.models import Interval

MONEY = {"max_digits": 20, "decimal_places": 4}


class RunStatus(models.TextChoices):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


FINISHED = {RunStatus.DONE, RunStatus.FAILED}


class BacktestInputs(models.Model):
    """What a backtest or a sweep runs on: strategy, instruments, period, money and costs."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    label = models.CharField(max_length=120, blank=True)
    strategy = models.CharField(max_length=64)
    params = models.JSONField(default=dict, help_text="Every parameter, defaults filled in.")
    symbols = models.JSONField(default=list, help_text='Instrument keys, e.g. ["NSE:SBIN-EQ"].')
    interval = models.CharField(max_length=3, choices=Interval.choices)
    start = models.DateTimeField()
    end = models.DateTimeField(help_text="Exclusive.")
    initial_cash = models.DecimalField(**MONEY)
    costs = models.JSONField(default=dict)
    sizing = models.JSONField(default=dict)
    slippage_ticks = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life while running.")

    class Meta:
        abstract = True


class Backtest(BacktestInputs):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="backtests")
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent of the bars processed.")
    bars_processed = models.BigIntegerField(default=0)
    bars_total = models.BigIntegerField(default=0)
    metrics = models.JSONField(null=True, blank=True)
    trades = models.JSONField(null=True, blank=True)
    open_trades = models.JSONField(null=True, blank=True)
    equity = models.JSONField(null=True, blank=True, help_text="Columns time (epoch s), equity, drawdown (%).")
    logs = models.JSONField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True, help_text="Engine time.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="backtest_user_created")]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="backtest_progress_le_100")]

    def __str__(self) -> str:
        return f"#{self.id} {self.strategy} {self.status}"


class SweepMode(models.TextChoices):
    GRID = "grid"
    WALK_FORWARD = "walk_forward"


class Sweep(BacktestInputs):
    """A grid of parameter combinations (or walk-forward windows), each run as its own backtest in a worker."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sweeps")
    mode = models.CharField(max_length=12, choices=SweepMode.choices, default=SweepMode.GRID)
    grid = models.JSONField(default=dict, help_text="Parameter name -> list of values to try.")
    metric = models.CharField(max_length=32, default="sharpe", help_text="What the results are ranked by.")
    walk_forward = models.JSONField(null=True, blank=True, help_text="train_days, test_days; the windows.")
    total = models.PositiveIntegerField(default=0, help_text="Combinations (grid) or windows (walk-forward).")
    completed = models.PositiveIntegerField(default=0)
    result = models.JSONField(null=True, blank=True, help_text="Walk-forward: in- and out-of-sample equity.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="sweep_user_created")]

    def __str__(self) -> str:
        return f"sweep #{self.id} {self.strategy} {self.completed}/{self.total}"

    @property
    def progress(self) -> int:
        return 100 * self.completed // self.total if self.total else 0


class SweepResult(models.Model):
    """One combination's metrics (grid), or one window's best parameters and both samples (walk-forward)."""

    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="results")
    index = models.PositiveIntegerField()
    params = models.JSONField(default=dict)
    metrics = models.JSONField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True, help_text="The ranking metric (None when undefined).")
    detail = models.JSONField(null=True, blank=True, help_text="Walk-forward: windows, equity of both samples.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["sweep", "index"]
        constraints = [models.UniqueConstraint(fields=["sweep", "index"], name="sweep_result_index")]

    def __str__(self) -> str:
        return f"{self.sweep_id}[{self.index}] {self.params}"


class LiveStatus(models.TextChoices):
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"
    FAILED = "FAILED"
    LOST = "LOST"


ACTIVE = (LiveStatus.STARTING, LiveStatus.RUNNING, LiveStatus.LOST)


class StrategyRun(models.Model):
    """A strategy trading on the account (paper or live) through the order pipeline, bar by bar.

    `state` is the runner's bookmark: the last bar each instrument's strategy saw
    and the last fill it heard of, so a restarted runner neither repeats a bar's
    orders nor misses a fill. A RUNNING run whose heartbeat is stale is shown as LOST.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="strategy_runs")
    # The trading account it trades on, one of the user's (null only on a row written before the migration).
    account = models.ForeignKey(
        "accounts.TradingAccount", null=True, blank=True, on_delete=models.CASCADE, related_name="strategy_runs"
    )
    strategy = models.CharField(max_length=64)
    params = models.JSONField(default=dict, help_text="Every parameter, defaults filled in.")
    symbols = models.JSONField(default=list, help_text='Instrument keys, e.g. ["NSE:SBIN-EQ"].')
    interval = models.CharField(max_length=3, choices=Interval.choices)
    sizing = models.JSONField(default=dict)
    product = models.CharField(max_length=4, default="CNC")
    status = models.CharField(max_length=8, choices=LiveStatus.choices, default=LiveStatus.STARTING, db_index=True)
    error = models.TextField(blank=True)
    account_mode = models.CharField(max_length=8, help_text="paper or live, when the run started.")
    state = models.JSONField(
        default=dict, blank=True, help_text="bars: symbol -> last bar (epoch); trade: last fill id."
    )
    logs = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="strategyrun_user_created")]

    def __str__(self) -> str:
        return f"run #{self.id} {self.strategy} {self.status}"

    @property
    def tag(self) -> str:
        """The tag on every order of this run (orders.Order.tag: at most 20 characters)."""
        return f"run:{self.id}"


class StrategyRunOrder(models.Model):
    """An order a run placed, with what the strategy said about it (its own tag, reduce-only)."""

    run = models.ForeignKey(StrategyRun, on_delete=models.CASCADE, related_name="run_orders")
    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="strategy_link")
    tag = models.CharField(max_length=40, blank=True)
    reduce_only = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"run {self.run_id} order {self.order_id}"
