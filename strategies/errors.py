"""What a backtest or sweep request can get wrong once its JSON has the right shape.

The serializers refuse a malformed body (400); a well-formed one that names an
unknown strategy, a parameter out of range, an unlisted symbol or an impossible
period cannot run as asked: 422, with the same stable codes as before.
"""

from core.errors import RuleViolation


class SpecInvalid(RuleViolation):
    code = "invalid_input"
    default_message = "The backtest cannot run as asked."
