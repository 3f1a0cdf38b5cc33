"""The backtest report: metrics, equity and drawdown curves, trades.

Money (final equity, P&L, charges, prices) is exact: Decimal from the book,
written as decimal strings. Ratios and percentages are floats rounded to
4 places (percentages as 12.5 for 12.5%). Return-based ratios use daily
returns (the equity at each IST day's last bar), annualised over 252
trading days, with no risk-free rate; CAGR uses calendar time.
"""

import math
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from core.clock import IST_OFFSET_SECONDS as IST_OFFSET

from .book import Trade
from .curves import downsample, drawdown, equity_curve
from .runner import RunResult

TRADING_DAYS = 252
MAX_POINTS = 2000
MAX_TRADES = 10_000
PAISA = Decimal("0.01")


def money(value: Decimal) -> str:
    return f"{value.quantize(PAISA, rounding=ROUND_HALF_UP):f}"


def price(value: Decimal | None) -> str | None:
    """Two places, or more when the price has them (currency, options)."""
    if value is None:
        return None
    rounded = value.quantize(PAISA)
    return f"{rounded:f}" if rounded == value else f"{value.normalize():f}"


def ratio(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 4)


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(int(epoch), tz=UTC).isoformat().replace("+00:00", "Z")


def build_report(result: RunResult) -> dict:
    steps = result.steps_done
    first = _first_step(result)
    equity, exposed = equity_curve(result)
    equity, exposed = equity[first:], exposed[first:]
    times = result.timeline[first:steps]
    if not len(equity):
        empty = {"time": [], "equity": [], "drawdown": []}
        return {
            "metrics": _empty_metrics(result),
            "equity": empty,
            "trades": [],
            "trades_truncated": 0,
            "open_trades": [],
        }
    dd = drawdown(equity)
    closed = [t for t in result.book.trades if _in_window(result, t, first)]
    metrics = {
        **_return_metrics(result, times, equity),
        **_drawdown_metrics(times, dd),
        **_trade_metrics(closed),
        "exposure_time": ratio(100 * exposed.mean()),
        "total_charges": money(result.book.charges),
        "orders_rejected": result.book.rejected,
        "bars": int(steps - first),
        "buy_and_hold_return": _buy_and_hold(result, first),
    }
    metrics["calmar"] = (
        ratio(metrics["cagr"] / -metrics["max_drawdown"])
        if metrics["cagr"] is not None and metrics["max_drawdown"]
        else None
    )
    keep = downsample(equity, MAX_POINTS)
    return {
        "metrics": metrics,
        "equity": {
            "time": times[keep].tolist(),
            "equity": [f"{x:.2f}" for x in equity[keep].tolist()],
            "drawdown": np.round(100 * dd[keep], 4).tolist(),
        },
        "trades": [_trade_row(result, t) for t in closed[:MAX_TRADES]],
        "trades_truncated": max(0, len(closed) - MAX_TRADES),
        "open_trades": [_trade_row(result, t) for t in result.book.open_trades()],
    }


def _first_step(result: RunResult) -> int:
    start = result.config.trade_from
    return 0 if start is None else int(np.searchsorted(result.timeline[: result.steps_done], start))


def _in_window(result: RunResult, trade: Trade, first: int) -> bool:
    if not first:
        return True
    entry = result.series[[s.symbol for s in result.series].index(trade.symbol)].times[trade.entry_index]
    return entry >= result.timeline[first]


def _return_metrics(result: RunResult, times: np.ndarray, equity: np.ndarray) -> dict:
    initial = result.book.initial_cash
    final = result.book.equity()
    years = (int(times[-1]) - int(times[0])) / (365.25 * 86400)
    total = final / initial - 1 if initial else Decimal(0)
    cagr = None
    if years > 0 and final > 0:
        cagr = 100 * (math.exp(math.log(float(final / initial)) / years) - 1)
    daily = _daily_returns(times, equity)
    vol = sharpe = sortino = None
    if len(daily) > 1:
        std = float(np.std(daily, ddof=1))
        mean = float(np.mean(daily))
        vol = 100 * std * math.sqrt(TRADING_DAYS)
        sharpe = mean / std * math.sqrt(TRADING_DAYS) if std > 0 else None
        downside = math.sqrt(float(np.mean(np.minimum(daily, 0.0) ** 2)))
        sortino = mean / downside * math.sqrt(TRADING_DAYS) if downside > 0 else None
    return {
        "initial_cash": money(initial),
        "final_equity": money(final),
        "total_return": ratio(100 * float(total)),
        "cagr": ratio(cagr),
        "volatility": ratio(vol),
        "sharpe": ratio(sharpe),
        "sortino": ratio(sortino),
        "start": iso(times[0]),
        "end": iso(times[-1]),
    }


def _daily_returns(times: np.ndarray, equity: np.ndarray) -> np.ndarray:
    days = (times + IST_OFFSET) // 86400
    last_of_day = np.flatnonzero(np.r_[days[1:] != days[:-1], True])
    closes = np.r_[equity[0], equity[last_of_day]]
    return closes[1:] / closes[:-1] - 1.0


def _drawdown_metrics(times: np.ndarray, dd: np.ndarray) -> dict:
    """The deepest drawdown, and the longest time from a peak until equity regained it (or the end)."""
    edges = np.diff(np.r_[0, (dd < 0).astype(np.int8), 0])
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    longest_bars = longest_seconds = 0
    if len(starts):
        peaks = np.maximum(starts - 1, 0)
        recovered = np.minimum(ends, len(times) - 1)
        seconds = times[recovered] - times[peaks]
        k = int(np.argmax(seconds))
        longest_bars, longest_seconds = int(recovered[k] - peaks[k]), int(seconds[k])
    return {
        "max_drawdown": ratio(100 * float(dd.min())),
        "max_drawdown_duration_days": ratio(longest_seconds / 86400),
        "max_drawdown_duration_bars": longest_bars,
    }


def _trade_metrics(trades: list[Trade]) -> dict:
    pnls = [t.pnl for t in trades]
    returns = [float(t.pnl / (abs(t.quantity) * t.entry_price)) * 100 for t in trades]
    wins = [p for p in pnls if p > 0]
    losses = [p for p in pnls if p < 0]
    gross_loss = -sum(losses, Decimal(0))
    count = len(trades)
    return {
        "num_trades": count,
        "win_rate": ratio(100 * len(wins) / count) if count else None,
        "profit_factor": ratio(float(sum(wins, Decimal(0)) / gross_loss)) if gross_loss else None,
        "expectancy": ratio(sum(returns) / count) if count else None,
        "average_trade": money(sum(pnls, Decimal(0)) / count) if count else None,
        "average_win": money(sum(wins, Decimal(0)) / len(wins)) if wins else None,
        "average_loss": money(sum(losses, Decimal(0)) / len(losses)) if losses else None,
        "best_trade": ratio(max(returns)) if count else None,
        "worst_trade": ratio(min(returns)) if count else None,
        "net_profit": money(sum(pnls, Decimal(0))),
    }


def _buy_and_hold(result: RunResult, first: int) -> float | None:
    series = result.series[0]
    start = result.timeline[first] if first < result.steps_done else None
    if start is None:
        return None
    a = int(np.searchsorted(series.times, start))
    b = int(np.searchsorted(series.times, result.timeline[result.steps_done - 1], side="right")) - 1
    if a > b:
        return None
    return ratio(100 * (series.close[b] / series.open[a] - 1))


def _trade_row(result: RunResult, t: Trade) -> dict:
    series = next(s for s in result.series if s.symbol == t.symbol)
    cost = abs(t.quantity) * t.entry_price
    return {
        "symbol": t.symbol,
        "side": "LONG" if t.quantity > 0 else "SHORT",
        "quantity": abs(t.quantity),
        "entry_time": iso(series.times[t.entry_index]),
        "entry_price": price(t.entry_price),
        "exit_time": None if t.exit_index is None else iso(series.times[t.exit_index]),
        "exit_price": price(t.exit_price),
        "pnl": money(t.pnl),
        "return_pct": ratio(float(t.pnl / cost) * 100) if cost else None,
        "charges": money(t.charges),
        "bars_held": None if t.exit_index is None else t.exit_index - t.entry_index,
    }


def _empty_metrics(result: RunResult) -> dict:
    cash = money(result.book.initial_cash)
    return {"initial_cash": cash, "final_equity": money(result.book.equity()), "num_trades": 0, "bars": 0}
