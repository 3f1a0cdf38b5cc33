"""What a backtest or sweep request can get wrong once its JSON has the right shape.

The serializers refuse a malformed body (400); a well-formed one that names an
unknown strategy, a parameter out of range, an unlisted symbol or an impossible
period cannot run as asked: 422, with the same stable codes as before.
"""

from decimal import Decimal

from core.errors import RuleViolation
from core.inputs import InputRefused, decimal_parse


class SpecInvalid(RuleViolation):
    code = "invalid_input"
    default_message = "The backtest cannot run as asked."


def spec_refused(exc: InputRefused, *, field: str, message: str) -> SpecInvalid:
    """core.inputs' refusal as a spec error on `field`: `message` when the value is no number at all, else
    what is wrong with it (too large, too precise, digits other than 0-9) under its own code."""
    if exc.code == "invalid_number":
        return SpecInvalid(message, field=field)
    return SpecInvalid(exc.message, code=exc.code, field=field)


def spec_decimal(value, *, field: str, message: str) -> Decimal:
    """A number from inside a backtest's JSON (cash, costs, sizing), read by core.inputs' one set of rules."""
    try:
        return decimal_parse(value)
    except InputRefused as exc:
        raise spec_refused(exc, field=field, message=message) from None
