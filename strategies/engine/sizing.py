"""How many units an order without a quantity gets, decided when it fills, at the fill price.

Always whole lots: the quantity is rounded down to a multiple of the lot
size, and an order that rounds to nothing is rejected (`insufficient_size`).
"""

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from strategies.errors import SpecInvalid, spec_decimal

MODES = ("percent_equity", "fixed_quantity", "fixed_value")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Sizing:
    mode: str = "percent_equity"
    value: Decimal = HUNDRED

    def quantity(self, *, equity: Decimal, price: Decimal, lot_size: int) -> int:
        if self.mode == "fixed_quantity":
            units = int(self.value)
        else:
            budget = self.value if self.mode == "fixed_value" else equity * self.value / HUNDRED
            if budget <= 0 or price <= 0:
                return 0
            units = int((budget / price).to_integral_value(rounding=ROUND_FLOOR))
        return units - units % lot_size

    def describe(self) -> dict:
        return {"mode": self.mode, "value": str(self.value)}


def sizing_from(spec: dict | None) -> Sizing:
    """`{"mode": "percent_equity", "value": 100}` and the like, checked."""
    spec = dict(spec or {})
    mode = spec.pop("mode", "percent_equity")
    if mode not in MODES:
        raise SpecInvalid(f"sizing.mode must be one of {', '.join(MODES)}.", field="sizing.mode")
    value = spec.pop("value", 100 if mode == "percent_equity" else None)
    if spec:
        name = sorted(spec)[0]
        raise SpecInvalid(f"sizing.{name} is not a sizing setting.", code="unknown_field", field=f"sizing.{name}")
    message = "sizing.value must be a positive number."
    value = spec_decimal(value, field="sizing.value", message=message)
    if value <= 0:
        raise SpecInvalid(message, field="sizing.value")
    if mode == "percent_equity" and value > 100:
        # Above 100% would borrow; the backtester models a cash account (no leverage).
        raise SpecInvalid("sizing.value is a percentage of equity: at most 100.", field="sizing.value")
    if mode == "fixed_quantity" and value != value.to_integral_value():
        raise SpecInvalid("sizing.value must be a whole number of units.", field="sizing.value")
    return Sizing(mode, value)
