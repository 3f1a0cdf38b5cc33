"""Every read in strategies that is more than a .get. Everything is scoped to the caller."""

from datetime import timedelta

from django.db.models import F, Q, QuerySet

from accounts.models import TradingAccount
from accounts.selectors import default_account_for
from core import clock
from core.errors import Conflict, NotFound, RuleViolation
from marketdata.models import Instrument
from marketdata.quotes import quotes_get
from marketdata.selectors import instrument_refs_resolve
from orders.models import Order, Trade

from . import conf
from .models import ACTIVE, Backtest, LiveStatus, RunStatus, StrategyRun, Sweep, SweepResult
from .positions import VirtualPosition, positions_from_fills

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


# --- strategy runs ----------------------------------------------------------------------------


def _runs_of(user, account) -> QuerySet[StrategyRun]:
    """The user's runs on `account` (None: on their default account)."""
    if account is None:
        account = default_account_for(user)
    if account is None or account.user_id != user.pk:
        return StrategyRun.objects.none()
    return StrategyRun.objects.filter(user=user, account=account)


def run_get_for_user(*, user, run_id: int, account: TradingAccount | None = None) -> StrategyRun:
    run = _runs_of(user, account).filter(id=run_id).first()
    if run is None:
        raise NotFound(f"You have no strategy run #{run_id}.", code="run_not_found")
    return run


def run_list_for_user(*, user, status: str = "", account: TradingAccount | None = None) -> QuerySet[StrategyRun]:
    """`status` as shown: LOST and RUNNING are told apart by the heartbeat (see run_shown_status)."""
    qs = _runs_of(user, account).defer("logs")
    if status:
        stale = Q(status=LiveStatus.RUNNING) & (Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=_stale_before()))
        shown = {
            LiveStatus.LOST: stale | Q(status=LiveStatus.LOST),
            LiveStatus.RUNNING: Q(status=LiveStatus.RUNNING) & ~stale,
        }.get(status, Q(status=status))
        qs = qs.filter(shown)
    return qs.order_by("-created_at", "-id")


def _stale_before(now=None):
    return (now or clock.now()) - timedelta(seconds=conf.run_stale_after())


def run_shown_status(run: StrategyRun, now=None) -> str:
    """RUNNING with a stale heartbeat (no runner is feeding it) is shown as LOST; a runner resumes it."""
    if run.status != LiveStatus.RUNNING:
        return run.status
    stale = run.heartbeat_at is None or run.heartbeat_at < _stale_before(now)
    return LiveStatus.LOST if stale else run.status


def run_positions(run: StrategyRun) -> list[dict]:
    """Per instrument: the run's own position and P&L, from its own fills; unrealised at the last price."""
    trades = Trade.objects.filter(order__strategy_link__run_id=run.id).order_by("id")
    positions = positions_from_fills(trades.values_list("instrument_id", "side", "quantity", "price"))
    instruments = {i.key: i for i in Instrument.objects.filter(id__in=positions)} if positions else {}
    quotes, _ = quotes_get(list(positions)) if positions else ({}, False)
    out = []
    for key in run.symbols:
        instrument = instruments.get(key)
        p = positions.get(instrument.id) if instrument else None
        p = p or VirtualPosition()
        last = quotes[instrument.id].ltp if instrument and instrument.id in quotes else None
        out.append(
            {
                "symbol": key,
                "quantity": p.quantity,
                "average_price": p.avg_price if p.quantity else None,
                "last_price": last,
                "realised_pnl": p.realised,
                "unrealised_pnl": p.unrealised(last),
                "buy_quantity": p.buy_quantity,
                "sell_quantity": p.sell_quantity,
            }
        )
    return out


def run_orders_recent(run: StrategyRun, limit: int = 20) -> list:
    orders = Order.objects.filter(strategy_link__run_id=run.id).select_related("instrument", "strategy_link")
    return list(orders.order_by("-created_at", "-id")[:limit])


def run_instrument_ids() -> set[int]:
    """Instruments the active runs trade: the feed subscribes to them (their candles are the runs' bars)."""
    keys = set()
    for symbols in StrategyRun.objects.filter(status__in=ACTIVE).values_list("symbols", flat=True):
        keys.update(tuple(key.split(":", 1)) for key in symbols if ":" in key)
    return {ref.id for ref in instrument_refs_resolve(sorted(keys)).values()} if keys else set()
