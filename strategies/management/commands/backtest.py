"""A backtest's report on the terminal.

manage.py backtest sma_crossover --symbols NSE:SBIN-EQ --interval 1d --params fast=10 slow=20
"""

from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError

from core.clock import IST
from core.errors import DomainError
from core.formatting import inr
from marketdata.intervals import INTERVALS
from marketdata.models import Candle
from marketdata.progress import ProgressLine
from strategies.data import series_load
from strategies.registry import strategies_all
from strategies.services.running import run_and_report
from strategies.spec import instruments_resolve, spec_build

METRICS = [
    ("Final equity", "final_equity", "money"),
    ("Total return", "total_return", "%"),
    ("CAGR", "cagr", "%"),
    ("Volatility (ann.)", "volatility", "%"),
    ("Sharpe", "sharpe", ""),
    ("Sortino", "sortino", ""),
    ("Calmar", "calmar", ""),
    ("Max drawdown", "max_drawdown", "%"),
    ("Max drawdown duration (days)", "max_drawdown_duration_days", ""),
    ("Trades", "num_trades", ""),
    ("Win rate", "win_rate", "%"),
    ("Profit factor", "profit_factor", ""),
    ("Expectancy (per trade)", "expectancy", "%"),
    ("Average trade", "average_trade", "money"),
    ("Exposure time", "exposure_time", "%"),
    ("Total charges", "total_charges", "money"),
    ("Buy and hold", "buy_and_hold_return", "%"),
]


def parse_params(pairs: list[str]) -> dict:
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CommandError(f"--params takes name=value pairs, got {pair!r}")
        params[name.strip()] = value.strip()
    return params


def parse_pair(text: str | None, first: str) -> dict | None:
    """`india:CNC` -> {"model": "india", "product": "CNC"}; `percent_equity:50` -> {"mode": ..., "value": "50"}."""
    if not text:
        return None
    head, _, tail = text.partition(":")
    second = {"model": "product", "mode": "value"}[first]
    if head == "flat":
        return {"model": "flat", "per_order": tail or "20"}
    return {first: head, **({second: tail} if tail else {})}


def ist(text: str | None) -> str:
    """An API time (ISO, UTC) as IST for the terminal."""
    if not text:
        return "-"
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(IST).strftime("%Y-%m-%d %H:%M")


def show(value, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "money":
        return inr(value)
    return f"{value:,.2f}%" if kind == "%" else f"{value:,.2f}" if isinstance(value, float) else str(value)


class Command(BaseCommand):
    help = "Backtest a strategy on stored candles and print its report."

    def add_arguments(self, parser):
        names = ", ".join(cls.name for cls in strategies_all())
        parser.add_argument("strategy", help=f"one of: {names}")
        parser.add_argument("--symbols", nargs="+", required=True, help="EXCH:SYMBOL ... e.g. NSE:SBIN-EQ")
        parser.add_argument("--interval", choices=INTERVALS, default="1d")
        parser.add_argument("--params", nargs="*", default=[], help="name=value ... e.g. fast=10 slow=20")
        parser.add_argument("--start", help="date (IST) or ISO date-time; default: the first stored candle")
        parser.add_argument("--end", help="date (IST, inclusive); default: the last stored candle")
        parser.add_argument("--cash", default="1000000", help="initial cash in rupees")
        parser.add_argument("--costs", help="none | india:CNC | india:MIS | india:NRML | flat[:RUPEES]")
        parser.add_argument("--sizing", help="percent_equity:100 | fixed_quantity:N | fixed_value:RUPEES")
        parser.add_argument("--slippage", type=int, default=0, help="ticks against each market/stop fill")
        parser.add_argument("--trades", type=int, default=20, help="how many trades to list (0: none)")

    def handle(self, *args, **opts):
        try:
            spec = spec_build(
                strategy=opts["strategy"],
                params=parse_params(opts["params"]),
                symbols=opts["symbols"],
                interval=opts["interval"],
                start=opts["start"] or self._bound(opts, first=True),
                end=opts["end"] or self._bound(opts, first=False),
                initial_cash=opts["cash"],
                costs=parse_pair(opts["costs"], "model"),
                sizing=parse_pair(opts["sizing"], "mode"),
                slippage_ticks=opts["slippage"],
            )
        except DomainError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]") from exc
        progress = ProgressLine(self.stderr)
        progress("loading", 0, 1)
        series = series_load(spec.instruments, spec.interval, spec.start, spec.end)
        progress("loading", 1, 1)
        result, report = run_and_report(spec, series, progress=lambda done, total: progress("backtest", done, total))
        self._print(spec, result, report, opts["trades"])
        if result.error:
            raise CommandError(f"the strategy failed: {result.error}")

    def _bound(self, opts, *, first: bool) -> str:
        try:
            instruments = instruments_resolve(opts["symbols"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        candles = Candle.objects.filter(instrument__in=instruments, interval=opts["interval"]).order_by("start")
        candle = candles.first() if first else candles.last()
        if candle is None:
            raise CommandError(f"no {opts['interval']} candles stored for {', '.join(opts['symbols'])}")
        # An end date-time is exclusive: a second past the last candle's start includes it.
        return (candle.start if first else candle.start + timedelta(seconds=1)).isoformat()

    @staticmethod
    def _trade_line(t: dict) -> str:
        return (
            f"  {ist(t['entry_time']):<17} {ist(t['exit_time']):<17} {t['side']:<5} {t['quantity']:>8} "
            f"{t['entry_price']:>10} {t['exit_price']:>10} {inr(t['pnl']):>14} {inr(t['charges']):>10}"
        )

    def _print(self, spec, result, report, trade_count: int) -> None:
        m = report["metrics"]
        out = self.stdout
        params = " ".join(f"{k}={v}" for k, v in spec.params.items())
        out.write(f"\n{spec.strategy.title} ({params}) on {', '.join(spec.symbols)} {spec.interval}")
        out.write(
            f"{ist(m.get('start'))} .. {ist(m.get('end'))} IST, {result.bars_done:,} bars in {result.seconds:.2f} s"
        )
        out.write(f"costs {spec.costs.describe()}, sizing {spec.sizing.describe()}\n")
        for title, key, kind in METRICS:
            out.write(f"  {title:<30} {show(m.get(key), kind):>18}")
        if trade_count and report["trades"]:
            out.write(f"\nTrades (first {min(trade_count, len(report['trades']))} of {m['num_trades']}):")
            out.write(
                f"  {'entry (IST)':<17} {'exit (IST)':<17} {'side':<5} {'qty':>8} {'entry':>10} {'exit':>10} "
                f"{'P&L':>14} {'charges':>10}"
            )
            for t in report["trades"][:trade_count]:
                out.write(self._trade_line(t))
        for trade in report["open_trades"]:
            out.write(f"  open: {trade['symbol']} {trade['side']} {trade['quantity']} from {trade['entry_price']}")
