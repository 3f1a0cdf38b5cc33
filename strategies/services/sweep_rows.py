"""A sweep's rows, shared by grid sweeps and walk-forward: the grid of combinations and its limits, the Sweep
row and its claim, each result saved with the count, and finishing once the count is complete."""

import itertools
from collections.abc import Callable

from django.db import transaction
from django.db.models import F

from core import clock
from core.errors import DomainError, RuleViolation
from strategies import conf
from strategies.errors import SpecInvalid
from strategies.models import RunStatus, Sweep, SweepResult
from strategies.params import param_error
from strategies.spec import BacktestSpec

# Higher is better for each (max_drawdown is negative: closer to zero ranks first).
RANKABLE = (
    "sharpe",
    "sortino",
    "calmar",
    "total_return",
    "cagr",
    "profit_factor",
    "win_rate",
    "expectancy",
    "max_drawdown",
    "final_equity",
    "net_profit",
)
MAX_VALUES_PER_PARAM = 100


def grid_combinations(strategy, base: dict, grid) -> list[dict]:
    """Every valid combination (base parameters overridden by each grid point), in grid order.

    Combinations the strategy refuses (say fast >= slow) are left out; unknown names and values out of
    range are errors naming the parameter.
    """
    if not isinstance(grid, dict) or not grid:
        raise SpecInvalid("`grid` must map parameter names to lists of values.", field="grid")
    base = _base_params(strategy, base)
    values: dict[str, list] = {}
    for name, options in grid.items():
        if name not in strategy.params:
            raise SpecInvalid(f"Unknown parameter {name!r}.", code="unknown_param", field=f"grid.{name}")
        if not isinstance(options, list) or not 1 <= len(options) <= MAX_VALUES_PER_PARAM:
            raise SpecInvalid(
                f"grid.{name} must be a list of 1 to {MAX_VALUES_PER_PARAM} values.", field=f"grid.{name}"
            )
        values[name] = list(dict.fromkeys(strategy.params[name].clean(v) for v in options))
    count = 1
    for options in values.values():
        count *= len(options)
    _check_size(count)
    combos = []
    for point in itertools.product(*values.values()):
        try:
            combos.append(strategy.clean_params({**base, **dict(zip(values, point, strict=True))}))
        except DomainError:
            continue
    if not combos:
        raise param_error(next(iter(values)), "no combination in the grid is valid for this strategy.")
    return combos


def _base_params(strategy, base) -> dict:
    """The fixed parameters, each checked on its own (combinations are checked as a whole later)."""
    if not isinstance(base, dict):
        raise SpecInvalid("`params` must be an object of name: value.", field="params")
    unknown = sorted(set(base) - set(strategy.params))
    if unknown:
        raise SpecInvalid(f"Unknown parameter {unknown[0]!r}.", code="unknown_param", field=f"params.{unknown[0]}")
    return {name: strategy.params[name].clean(value) for name, value in base.items()}


def _check_size(count: int) -> None:
    if count > conf.max_sweep_combinations():
        raise RuleViolation(
            f"The grid has {count:,} combinations; at most {conf.max_sweep_combinations():,} per sweep.",
            code="sweep_too_large",
            field="grid",
        )


def _check_work(combinations: int, bars: int, runs_per_combination: int = 1) -> None:
    work = combinations * bars * runs_per_combination
    if work > conf.max_sweep_bar_runs():
        raise RuleViolation(
            f"That sweep would process {work:,} bars in all; at most {conf.max_sweep_bar_runs():,}. "
            "Use fewer combinations or a shorter period.",
            code="sweep_too_large",
            field="grid",
        )


def _metric(metric) -> str:
    if metric not in RANKABLE:
        raise SpecInvalid(f"`metric` must be one of {', '.join(RANKABLE)}.", field="metric")
    return metric


def _store(user, spec: BacktestSpec, combos, grid, metric, label, mode, total, walk_forward=None) -> Sweep:
    stored = spec.stored()
    stored["params"] = {k: v for k, v in stored["params"].items() if k not in grid}
    clean_grid = {name: list(dict.fromkeys(c[name] for c in combos)) for name in grid}
    return Sweep.objects.create(
        user=user,
        label=label,
        mode=mode,
        grid=clean_grid,
        metric=metric,
        total=total,
        walk_forward=walk_forward,
        **stored,
    )


def sweep_claim(sweep_id: int) -> Sweep | None:
    """The sweep, RUNNING from its first task on; None once it is finished (a redelivered task)."""
    now = clock.now()
    Sweep.objects.filter(id=sweep_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    return Sweep.objects.filter(id=sweep_id, status=RunStatus.RUNNING).first()


def score_of(metrics: dict | None, metric: str) -> float | None:
    value = (metrics or {}).get(metric)
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


@transaction.atomic
def _save_result(sweep: Sweep, row: SweepResult, metrics, error: str, detail=None, score=None, params=None) -> None:
    updated = SweepResult.objects.filter(id=row.id, metrics__isnull=True, error="").update(
        metrics=metrics,
        error=error or ("" if metrics is not None else "no result"),
        score=score if score is not None or error else score_of(metrics, sweep.metric),
        detail=detail,
        params=row.params if params is None else params,
    )
    if updated:
        Sweep.objects.filter(id=sweep.id).update(completed=F("completed") + 1, heartbeat_at=clock.now())


def sweep_finish_if_complete(sweep_id: int, *, summary: Callable[[Sweep], dict] | None = None) -> bool:
    """The task that completes the last combination marks the sweep DONE, with `summary`'s result if given
    (walk-forward stitches its windows)."""
    sweep = Sweep.objects.filter(id=sweep_id, status=RunStatus.RUNNING, completed__gte=F("total")).first()
    if sweep is None:
        return False
    fields = {"result": summary(sweep)} if summary is not None else {}
    return bool(
        Sweep.objects.filter(id=sweep_id, status=RunStatus.RUNNING).update(
            status=RunStatus.DONE, finished_at=clock.now(), **fields
        )
    )
