"""The backtest and sweep forms: POST fields in, the service's input out; errors beside the field they name.

Field names are the API's field paths (`params.fast`, `costs.product`,
`sizing.value`), so a DomainError's `fields` map straight onto the form.
"""

from dataclasses import dataclass, field

from core.inputs import InputRefused, int_parse
from marketdata.intervals import INTERVALS
from marketdata.selectors import candles_stored_range
from strategies.engine.costs import PRODUCTS
from strategies.engine.sizing import MODES
from strategies.params import BoolParam, ChoiceParam, FloatParam, IntParam
from strategies.registry import strategies_all, strategy_get
from strategies.services.sweep_rows import RANKABLE

DEFAULT_STRATEGY = "sma_crossover"
DEFAULTS = {
    "interval": "1d",
    "initial_cash": "1000000",
    "costs.model": "india",
    "costs.product": "CNC",
    "costs.per_order": "20",
    "sizing.mode": "percent_equity",
    "sizing.value": "100",
    "slippage_ticks": "0",
    "metric": "sharpe",
    "mode": "grid",
    "walk_forward.train_days": "365",
    "walk_forward.test_days": "90",
}


@dataclass
class ParamField:
    name: str
    label: str
    help: str
    kind: str  # number, bool, choice
    value: str
    minimum: object = None
    maximum: object = None
    step: str = "any"
    choices: list = field(default_factory=list)
    errors: list = field(default_factory=list)


def param_fields(strategy_name: str, values: dict, errors: dict, prefix: str = "params.") -> list[ParamField]:
    try:
        cls = strategy_get(strategy_name)
    except Exception:
        return []
    out = []
    for name, param in cls.params.items():
        key = prefix + name
        kind = "bool" if isinstance(param, BoolParam) else "choice" if isinstance(param, ChoiceParam) else "number"
        step = "1" if isinstance(param, IntParam) else "any" if isinstance(param, FloatParam) else ""
        out.append(
            ParamField(
                key,
                param.label,
                param.help,
                kind,
                values.get(key, _text(param.default)),
                getattr(param, "min", None),
                getattr(param, "max", None),
                step,
                list(getattr(param, "choices", ())),
                _errors_for(errors, key, name, prefix),
            )
        )
    return out


def _errors_for(errors: dict, key: str, name: str, prefix: str) -> list:
    found = list(errors.get(key, []))
    if prefix != "params.":  # a sweep's box shows errors about its fixed value and its grid alike
        found += errors.get(f"params.{name}", []) + errors.get(f"grid.{name}", [])
    return found


def _text(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def form_context(values: dict, errors: dict, *, sweep: bool = False) -> dict:
    values = {**DEFAULTS, **{k: v for k, v in values.items() if v is not None}}
    strategy = values.get("strategy") or DEFAULT_STRATEGY
    values["strategy"] = strategy
    return {
        "values": values,
        "errors": errors,
        # Dicts, not the classes: a template calls anything callable, and a class is.
        "strategies": [{"name": cls.name, "title": cls.title} for cls in strategies_all()],
        "param_fields": param_fields(strategy, values, errors, "grid." if sweep else "params."),
        "intervals": INTERVALS,
        "products": PRODUCTS,
        "sizing_modes": MODES,
        "metrics": RANKABLE,
        "sweep": sweep,
        "stored_range": candles_stored_range(interval=values["interval"]) if values["interval"] in INTERVALS else None,
    }


def _costs(post) -> dict:
    model = post.get("costs.model", "none")
    if model == "india":
        return {"model": "india", "product": post.get("costs.product", "CNC")}
    if model == "flat":
        return {"model": "flat", "per_order": post.get("costs.per_order", "0") or "0"}
    return {"model": model}


def _int(text: str, name: str, errors: dict) -> int | None:
    try:
        return int_parse(text)
    except InputRefused as exc:
        errors[name] = ["A whole number." if exc.code == "invalid_number" else exc.message]
        return None


def run_inputs(post, errors: dict) -> dict:
    """The input every backtest and sweep shares, as the services take it."""
    # Commas separate instruments (a symbol may hold a space: NSE:Nifty 50); case is the resolver's business.
    symbols = [s.strip() for s in post.get("symbols", "").split(",") if s.strip()]
    return {
        "strategy": post.get("strategy", ""),
        "symbols": symbols,
        "interval": post.get("interval", ""),
        "start": post.get("start", ""),
        "end": post.get("end", ""),
        "initial_cash": post.get("initial_cash", ""),
        "costs": _costs(post),
        "sizing": {"mode": post.get("sizing.mode", ""), "value": post.get("sizing.value", "")},
        "slippage_ticks": _int(post.get("slippage_ticks", "0") or "0", "slippage_ticks", errors),
        "label": post.get("label", ""),
    }


def backtest_inputs(post, errors: dict) -> dict:
    params = {k.removeprefix("params."): v for k, v in post.items() if k.startswith("params.") and v != ""}
    return {**run_inputs(post, errors), "params": params}


def sweep_inputs(post, errors: dict) -> dict:
    """Each parameter's box holds one value (fixed) or several separated by commas (swept)."""
    grid, fixed = {}, {}
    for key, text in post.items():
        if not key.startswith("grid.") or not text.strip():
            continue
        values = [v.strip() for v in text.split(",") if v.strip()]
        (grid if len(values) > 1 else fixed)[key.removeprefix("grid.")] = values if len(values) > 1 else values[0]
    walk = None
    if post.get("mode") == "walk_forward":
        walk = {
            name: _int(post.get(f"walk_forward.{name}", ""), f"walk_forward.{name}", errors)
            for name in ("train_days", "test_days")
        }
    return {
        **run_inputs(post, errors),
        "params": fixed,
        "grid": grid or {},
        "metric": post.get("metric", "sharpe"),
        "mode": post.get("mode", "grid"),
        "walk_forward": walk,
    }
