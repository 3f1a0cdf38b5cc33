"""What a fill costs: nothing, a flat commission, or Indian brokerage, taxes and fees.

The Indian model charges, per executed order (rates as published by NSE and
SEBI for 2025; brokerage as a typical discount broker):

| component | equity delivery (CNC) | equity intraday (MIS) | futures | options (on premium) |
|---|---|---|---|---|
| brokerage | 0.1%, at most Rs 20 | 0.03%, at most Rs 20 | 0.03%, at most Rs 20 | Rs 20 flat |
| STT | 0.1% buy and sell | 0.025% sell | 0.02% sell | 0.1% sell |
| exchange transaction | 0.00297% | 0.00297% | 0.00173% | 0.03503% |
| SEBI fee | 0.0001% (Rs 10 a crore) | same | same | same |
| stamp duty | 0.015% buy | 0.003% buy | 0.002% buy | 0.003% buy |
| GST | 18% of brokerage + exchange + SEBI (+ DP) | same | same | same |
| DP charge | Rs 20 per delivery sell | - | - | - |

Each component is rounded to the paisa. Any rate can be overridden in the
backtest's `costs` (e.g. `{"model": "india", "product": "MIS", "brokerage_cap": "0"}`
for a zero-brokerage broker).
"""

from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from strategies.errors import SpecInvalid, spec_decimal

PAISA = Decimal("0.01")
PCT = Decimal("0.01")
ZERO = Decimal(0)


def _paise(value: Decimal) -> Decimal:
    return value.quantize(PAISA, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class IndiaRates:
    brokerage_pct: Decimal | None  # None: a flat `brokerage_cap` per order
    brokerage_cap: Decimal
    stt_buy_pct: Decimal
    stt_sell_pct: Decimal
    exchange_pct: Decimal
    stamp_buy_pct: Decimal
    dp_per_sell: Decimal = ZERO
    sebi_pct: Decimal = Decimal("0.0001")
    gst_pct: Decimal = Decimal("18")


D = Decimal
INDIA_RATES = {
    "equity_delivery": IndiaRates(D("0.1"), D("20"), D("0.1"), D("0.1"), D("0.00297"), D("0.015"), D("20")),
    "equity_intraday": IndiaRates(D("0.03"), D("20"), ZERO, D("0.025"), D("0.00297"), D("0.003")),
    "futures": IndiaRates(D("0.03"), D("20"), ZERO, D("0.02"), D("0.00173"), D("0.002")),
    "options": IndiaRates(None, D("20"), ZERO, D("0.1"), D("0.03503"), D("0.003")),
}
OVERRIDABLE = tuple(IndiaRates.__dataclass_fields__)


class CostModel:
    name = "none"

    def charges(self, *, side: str, quantity: int, price: Decimal, segment: str) -> Decimal:
        return ZERO

    def describe(self) -> dict:
        return {"model": self.name}


@dataclass(frozen=True)
class FlatCosts(CostModel):
    per_order: Decimal = ZERO
    percent: Decimal = ZERO
    name = "flat"

    def charges(self, *, side: str, quantity: int, price: Decimal, segment: str) -> Decimal:
        return _paise(self.per_order + quantity * price * self.percent * PCT)

    def describe(self) -> dict:
        return {"model": "flat", "per_order": str(self.per_order), "percent": str(self.percent)}


@dataclass(frozen=True)
class IndiaCosts(CostModel):
    product: str = "CNC"
    overrides: dict = field(default_factory=dict)
    name = "india"

    def rates(self, segment: str) -> IndiaRates:
        key = segment
        if segment == "equity":
            key = "equity_delivery" if self.product == "CNC" else "equity_intraday"
        return replace(INDIA_RATES[key], **self.overrides)

    def breakdown(self, *, side: str, quantity: int, price: Decimal, segment: str) -> dict[str, Decimal]:
        r = self.rates(segment)
        turnover = quantity * price
        buy = side == "BUY"
        brokerage = (
            r.brokerage_cap if r.brokerage_pct is None else min(turnover * r.brokerage_pct * PCT, r.brokerage_cap)
        )
        parts = {
            "brokerage": _paise(brokerage),
            "stt": _paise(turnover * (r.stt_buy_pct if buy else r.stt_sell_pct) * PCT),
            "exchange": _paise(turnover * r.exchange_pct * PCT),
            "sebi": _paise(turnover * r.sebi_pct * PCT),
            "stamp": _paise(turnover * r.stamp_buy_pct * PCT) if buy else ZERO,
            "dp": ZERO if buy else r.dp_per_sell,
        }
        taxable = parts["brokerage"] + parts["exchange"] + parts["sebi"] + parts["dp"]
        parts["gst"] = _paise(taxable * r.gst_pct * PCT)
        return parts

    def charges(self, *, side: str, quantity: int, price: Decimal, segment: str) -> Decimal:
        return sum(self.breakdown(side=side, quantity=quantity, price=price, segment=segment).values(), ZERO)

    def describe(self) -> dict:
        return {"model": "india", "product": self.product, **{k: str(v) for k, v in self.overrides.items()}}


def _decimal(value, name: str) -> Decimal:
    message = f"costs.{name} must be a decimal string, zero or more."
    number = spec_decimal(value, field=f"costs.{name}", message=message)
    if number < 0:
        raise SpecInvalid(message, field=f"costs.{name}")
    return number


PRODUCTS = ("CNC", "MIS", "NRML")


def cost_model_from(spec: dict | None) -> CostModel:
    """`{"model": "none"}`, `{"model": "flat", "per_order": "20", "percent": "0.03"}` or `{"model": "india", ...}`."""
    spec = dict(spec or {"model": "none"})
    model = spec.pop("model", "none")
    if model == "none" and not spec:
        return CostModel()
    if model == "flat":
        unknown = set(spec) - {"per_order", "percent"}
        if not unknown:
            return FlatCosts(
                _decimal(spec.get("per_order", 0), "per_order"), _decimal(spec.get("percent", 0), "percent")
            )
    elif model == "india":
        product = spec.pop("product", "CNC")
        if product not in PRODUCTS:
            raise SpecInvalid(f"costs.product must be one of {', '.join(PRODUCTS)}.", field="costs.product")
        unknown = set(spec) - set(OVERRIDABLE)
        if not unknown:
            return IndiaCosts(product, {k: _decimal(v, k) for k, v in spec.items()})
    elif model != "none":
        raise SpecInvalid("costs.model must be none, flat or india.", field="costs.model")
    else:
        unknown = set(spec)
    name = sorted(unknown)[0]
    raise SpecInvalid(
        f"costs.{name} is not a setting of the {model} cost model.", code="unknown_field", field=f"costs.{name}"
    )
