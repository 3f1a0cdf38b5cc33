"""Metrics as the dashboard shows them: a title, the formatted value and whether it is good news."""

from core.formatting import format_indian

METRICS = [
    ("final_equity", "Final equity", "money"),
    ("total_return", "Total return", "pct"),
    ("cagr", "CAGR", "pct"),
    ("volatility", "Volatility (ann.)", "pct_plain"),
    ("sharpe", "Sharpe", "ratio"),
    ("sortino", "Sortino", "ratio"),
    ("calmar", "Calmar", "ratio"),
    ("max_drawdown", "Max drawdown", "pct"),
    ("max_drawdown_duration_days", "Longest drawdown (days)", "plain"),
    ("num_trades", "Trades", "plain"),
    ("win_rate", "Win rate", "pct_plain"),
    ("profit_factor", "Profit factor", "ratio"),
    ("expectancy", "Expectancy / trade", "pct"),
    ("average_trade", "Average trade", "money_signed"),
    ("exposure_time", "Exposure", "pct_plain"),
    ("total_charges", "Charges", "money"),
    ("buy_and_hold_return", "Buy and hold", "pct"),
]


def show(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind.startswith("money"):
        return format_indian(value, 2, signed=kind == "money_signed")
    if kind.startswith("pct"):
        return f"{value:+,.2f}%" if kind == "pct" else f"{value:,.2f}%"
    if kind == "ratio":
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def tone(value, kind: str) -> str:
    if value is None or kind not in ("pct", "ratio", "money_signed"):
        return ""
    number = float(value)
    return "up" if number > 0 else "down" if number < 0 else ""


def metric_rows(metrics: dict | None) -> list[dict]:
    if not metrics:
        return []
    return [
        {"key": key, "title": title, "value": show(metrics.get(key), kind), "tone": tone(metrics.get(key), kind)}
        for key, title, kind in METRICS
    ]
