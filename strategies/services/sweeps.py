"""Parameter sweeps: a grid of combinations, split into tasks that share each worker's cached bars."""

import logging

from django.db import transaction

from strategies import conf
from strategies.data import series_load
from strategies.errors import SpecInvalid
from strategies.models import Sweep, SweepMode, SweepResult
from strategies.spec import spec_build, spec_from_row

from .backtests import _label
from .dispatch import tasks_queue_on_commit
from .research_cap import research_cap_check
from .running import run_and_report
from .sweep_rows import (
    _check_work,
    _metric,
    _save_result,
    _store,
    grid_combinations,
    sweep_claim,
    sweep_finish_if_complete,
)
from .walkforward import walkforward_create

log = logging.getLogger(__name__)


@transaction.atomic
def sweep_create(*, user, grid, metric="sharpe", label="", mode=SweepMode.GRID, walk_forward=None, **inputs) -> Sweep:
    spec = spec_build(**{**inputs, "params": None})
    combos = grid_combinations(spec.strategy, inputs.get("params") or {}, grid)
    metric = _metric(metric)
    research_cap_check(user=user)
    if mode == SweepMode.WALK_FORWARD:
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


def _enqueue_chunks(sweep_id: int, total: int) -> None:
    size = -(-total // conf.sweep_tasks())
    chunks = [(first, min(first + size, total) - 1) for first in range(0, total, size)]
    tasks_queue_on_commit("sweep_run_chunk", [(sweep_id, a, b) for a, b in chunks])


def sweep_update(*, user, sweep_id: int, label: str) -> Sweep:
    from strategies.selectors import sweep_get_for_user

    sweep = sweep_get_for_user(user=user, sweep_id=sweep_id)
    sweep.label = _label(label)
    sweep.save(update_fields=["label"])
    return sweep


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
