"""Parameter sweeps: a grid of combinations, split into tasks that share each worker's cached bars."""

import itertools
import logging

from django.db import transaction
from django.db.models import F

from core import clock
from core.errors import DomainError, RuleViolation
from strategies import conf
from strategies.data import series_load
from strategies.errors import SpecInvalid
from strategies.models import RunStatus, Sweep, SweepMode, SweepResult
from strategies.params import param_error
from strategies.spec import BacktestSpec, spec_build, spec_from_row

from .backtests import _label
from .research_cap import research_cap_check
from .running import run_and_report

log = logging.getLogger(__name__)
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


@transaction.atomic
def sweep_create(*, user, grid, metric="sharpe", label="", mode=SweepMode.GRID, walk_forward=None, **inputs) -> Sweep:
    spec = spec_build(**{**inputs, "params": None})
    combos = grid_combinations(spec.strategy, inputs.get("params") or {}, grid)
    metric = _metric(metric)
    research_cap_check(user=user)
    if mode == SweepMode.WALK_FORWARD:
        from .walkforward import walkforward_create

        return walkforward_create(
            user=user, spec=spec, combos=combos, grid=grid, metric=metric, label=_label(label), options=walk_forward
        )
    if mode != SweepMode.GRID:
        raise SpecInvalid("`mode` must be grid or walk_forward.", field="mode")
    _check_work(len(combos), spec.bars)
    sweep = _store(user, spec, combos, grid, metric, _label(label), SweepMode.GRID, len(combos))
    SweepResult.objects.bulk_create(SweepResult(sweep=sweep, index=i, params=p) for i, p in enumerate(combos))
    _enqueue_chunks(sweep.id, len(combos))
    return sweep


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


def _enqueue_chunks(sweep_id: int, total: int) -> None:
    from strategies import tasks

    size = -(-total // conf.sweep_tasks())
    chunks = [(first, min(first + size, total) - 1) for first in range(0, total, size)]
    transaction.on_commit(lambda: [tasks.sweep_run_chunk.delay(sweep_id, a, b) for a, b in chunks])


def sweep_update(*, user, sweep_id: int, label: str) -> Sweep:
    from strategies.selectors import sweep_get_for_user

    sweep = sweep_get_for_user(user=user, sweep_id=sweep_id)
    sweep.label = _label(label)
    sweep.save(update_fields=["label"])
    return sweep


def sweep_claim(sweep_id: int) -> Sweep | None:
    """The sweep, RUNNING from its first task on; None once it is finished (a redelivered task)."""
    now = clock.now()
    Sweep.objects.filter(id=sweep_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    return Sweep.objects.filter(id=sweep_id, status=RunStatus.RUNNING).first()


def sweep_run_chunk(*, sweep_id: int, first: int, last: int) -> None:
    """Run the combinations first..last not run yet, each result saved with the sweep's count."""
    sweep = sweep_claim(sweep_id)
    if sweep is None:
        return
    spec = spec_from_row(sweep)
    series = series_load(spec.instruments, spec.interval, spec.start, spec.end)
    todo = sweep.results.filter(index__gte=first, index__lte=last, metrics__isnull=True, error="").order_by("index")
    for row in todo:
        try:
            result, report = run_and_report(spec, series, params=row.params)
            metrics, error = report["metrics"], result.error or ""
        except Exception as exc:  # one bad combination is recorded, the rest still run
            log.exception("sweep %s combination %s failed", sweep_id, row.index)
            metrics, error = None, f"{type(exc).__name__}: {exc}"[:500]
        _save_result(sweep, row, metrics, error)
    sweep_finish_if_complete(sweep_id)


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


def sweep_finish_if_complete(sweep_id: int) -> bool:
    """The task that completes the last combination marks the sweep DONE (and, walk-forward, stitches it)."""
    sweep = Sweep.objects.filter(id=sweep_id, status=RunStatus.RUNNING, completed__gte=F("total")).first()
    if sweep is None:
        return False
    fields = {}
    if sweep.mode == SweepMode.WALK_FORWARD:
        from .walkforward import walkforward_summary

        fields["result"] = walkforward_summary(sweep)
    return bool(
        Sweep.objects.filter(id=sweep_id, status=RunStatus.RUNNING).update(
            status=RunStatus.DONE, finished_at=clock.now(), **fields
        )
    )
