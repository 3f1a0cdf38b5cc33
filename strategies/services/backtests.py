"""Backtests: created by a request, run by a worker, read by the API and the dashboard."""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q

from core import clock
from strategies import conf
from strategies.data import series_load
from strategies.errors import SpecInvalid
from strategies.models import Backtest, RunStatus
from strategies.selectors import backtest_get_for_user
from strategies.spec import spec_build, spec_from_row

from .dispatch import task_queue, tasks_queue_on_commit
from .research_cap import research_cap_check
from .running import ProgressWriter, error_text, run_and_report

log = logging.getLogger(__name__)
MAX_LABEL = 120


@transaction.atomic
def backtest_create(*, user, label: str = "", **inputs) -> Backtest:
    """Validate, store as QUEUED and queue the run once committed."""
    spec = spec_build(**inputs)
    research_cap_check(user=user)
    backtest = Backtest.objects.create(user=user, label=_label(label), bars_total=spec.bars, **spec.stored())
    _enqueue(backtest.id)
    return backtest


def _enqueue(backtest_id: int) -> None:
    tasks_queue_on_commit("backtest_run", [(backtest_id,)])


def _label(label) -> str:
    if not isinstance(label, str) or len(label) > MAX_LABEL:
        raise SpecInvalid(f"`label` must be text of at most {MAX_LABEL} characters.", field="label")
    return label.strip()


def backtest_update(*, user, backtest_id: int, label: str) -> Backtest:
    backtest = backtest_get_for_user(user=user, backtest_id=backtest_id)
    backtest.label = _label(label)
    backtest.save(update_fields=["label"])
    return backtest


def _claim(backtest_id: int) -> Backtest | None:
    """QUEUED -> RUNNING, or take over a RUNNING one whose worker went silent. None: nothing to do."""
    now = clock.now()
    stale = now - timedelta(seconds=conf.stale_after())
    claimed = Backtest.objects.filter(
        Q(status=RunStatus.QUEUED) | Q(status=RunStatus.RUNNING, heartbeat_at__lt=stale), id=backtest_id
    ).update(status=RunStatus.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1)
    return Backtest.objects.filter(id=backtest_id).first() if claimed else None


def backtest_run(*, backtest_id: int) -> None:
    """Run a queued backtest to DONE or FAILED. A redelivered task for a finished one does nothing."""
    backtest = _claim(backtest_id)
    if backtest is None:
        return
    try:
        spec = spec_from_row(backtest)
        series = series_load(spec.instruments, spec.interval, spec.start, spec.end)
        progress = ProgressWriter(lambda done, total: _progress(backtest_id, done, total), conf.progress_every())
        result, report = run_and_report(spec, series, progress=progress)
    except Exception as exc:  # bad stored data, a vanished instrument, the time limit: FAILED, not a crash loop
        log.exception("backtest %s failed", backtest_id)
        _finish(backtest_id, status=RunStatus.FAILED, error=error_text(f"{type(exc).__name__}: {exc}", _limit()))
        return
    _finish(
        backtest_id,
        status=RunStatus.FAILED if result.error else RunStatus.DONE,
        error=error_text(result.error, _limit()) or "",
        progress=_percent(result.bars_done, result.bars_total),
        bars_processed=result.bars_done,
        metrics=report["metrics"],
        trades=report["trades"],
        open_trades=report["open_trades"],
        equity=report["equity"],
        logs=result.logs,
        seconds=round(result.seconds, 4),
    )


def _limit() -> int:
    return conf.task_time_limit()


def _percent(done: int, total: int) -> int:
    return min(100, 100 * done // total) if total else 100


def _progress(backtest_id: int, done: int, total: int) -> None:
    Backtest.objects.filter(id=backtest_id, status=RunStatus.RUNNING).update(
        progress=min(99, _percent(done, total)), bars_processed=done, heartbeat_at=clock.now()
    )


def _finish(backtest_id: int, **fields) -> None:
    Backtest.objects.filter(id=backtest_id, status=RunStatus.RUNNING).update(finished_at=clock.now(), **fields)


def backtests_recover() -> int:
    """Queue again every RUNNING backtest whose worker went silent (died mid-run); returns how many."""
    stale = clock.now() - timedelta(seconds=conf.stale_after())
    ids = list(Backtest.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=stale).values_list("id", flat=True))
    for backtest_id in ids:
        task_queue("backtest_run", backtest_id)
    return len(ids)
