"""Every read in strategies that is more than a .get. Everything is scoped to the caller."""

from django.db.models import F, QuerySet

from core.errors import Conflict, NotFound, RuleViolation

from .models import Backtest, RunStatus, Sweep, SweepResult

HEAVY = ("trades", "open_trades", "equity", "logs")
MAX_COMPARE = 6


def backtest_get_for_user(*, user, backtest_id: int) -> Backtest:
    backtest = Backtest.objects.filter(id=backtest_id, user=user).first()
    if backtest is None:
        raise NotFound(f"You have no backtest #{backtest_id}.", code="backtest_not_found")
    return backtest


def backtest_list_for_user(*, user, status: str = "", strategy: str = "", label: str = "") -> QuerySet[Backtest]:
    qs = Backtest.objects.filter(user=user).defer(*HEAVY)
    if status:
        qs = qs.filter(status__in=[s.strip().upper() for s in status.split(",")])
    if strategy:
        qs = qs.filter(strategy=strategy)
    if label:
        qs = qs.filter(label__icontains=label)
    return qs.order_by("-created_at", "-id")


def backtests_for_compare(*, user, ids: list[int]) -> list[Backtest]:
    """Two to six of the caller's finished backtests, in the order asked."""
    ids = list(dict.fromkeys(ids))
    if not 2 <= len(ids) <= MAX_COMPARE:
        raise RuleViolation(f"Compare 2 to {MAX_COMPARE} backtests (`ids=1,2`).", code="invalid_compare", field="ids")
    found = {b.id: b for b in Backtest.objects.filter(user=user, id__in=ids).defer("trades", "open_trades", "logs")}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"You have no backtest #{missing[0]}.", code="backtest_not_found")
    unfinished = [i for i in ids if found[i].status != RunStatus.DONE]
    if unfinished:
        raise Conflict(f"Backtest #{unfinished[0]} has not finished.", code="backtest_not_done", field="ids")
    return [found[i] for i in ids]


def sweep_get_for_user(*, user, sweep_id: int) -> Sweep:
    sweep = Sweep.objects.filter(id=sweep_id, user=user).first()
    if sweep is None:
        raise NotFound(f"You have no sweep #{sweep_id}.", code="sweep_not_found")
    return sweep


def sweep_list_for_user(*, user) -> QuerySet[Sweep]:
    return Sweep.objects.filter(user=user).defer("result").order_by("-created_at", "-id")


def sweep_results_ranked(*, sweep: Sweep) -> QuerySet[SweepResult]:
    """Best first by the sweep's metric; combinations without a value (or not run yet) last."""
    return sweep.results.order_by(F("score").desc(nulls_last=True), "index")


def sweep_heatmap(*, sweep: Sweep, x: str | None = None, y: str | None = None) -> dict | None:
    """Score by two parameters (the best over any others that vary); None for fewer than two varying."""
    varying = [name for name, values in sweep.grid.items() if len(values) > 1]
    x = x or (varying[0] if varying else None)
    y = y or (varying[1] if len(varying) > 1 else None)
    if not x or not y or x == y or x not in sweep.grid or y not in sweep.grid:
        return None
    xs, ys = list(sweep.grid[x]), list(sweep.grid[y])
    cells: list[list[float | None]] = [[None] * len(xs) for _ in ys]
    for row in sweep.results.exclude(score=None).only("params", "score"):
        try:
            i, j = ys.index(row.params[y]), xs.index(row.params[x])
        except (KeyError, ValueError):
            continue
        if cells[i][j] is None or row.score > cells[i][j]:
            cells[i][j] = row.score
    return {"x": x, "y": y, "x_values": xs, "y_values": ys, "cells": cells, "metric": sweep.metric}
