"""Money and quantity formatting for the dashboard: Indian digit grouping (10,00,000.00)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

EMPTY = "—"


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        # str() first: a float goes through its shortest repr, not its binary expansion.
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def _group_indian(digits: str) -> str:
    """'1000000' -> '10,00,000': the last three digits, then groups of two."""
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    groups = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return ",".join(groups) + "," + tail


def format_indian(value, places: int = 2, max_places: int | None = None, signed: bool = False) -> str:
    """Decimal in, string out: `places` decimals (up to `max_places` when the value has more)."""
    number = _decimal(value)
    if number is None or not number.is_finite():
        return EMPTY
    max_places = max(places, max_places or places)
    try:
        number = number.quantize(Decimal(1).scaleb(-max_places), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the context holds: not a real amount
        return EMPTY
    negative = number < 0
    whole, _, fraction = f"{abs(number):f}".partition(".")
    fraction = fraction.rstrip("0")
    fraction = fraction.ljust(places, "0")
    text = _group_indian(whole) + (f".{fraction}" if fraction else "")
    if number == 0:
        return text  # never "-0.00"
    if negative:
        return "-" + text
    return ("+" + text) if signed else text


@register.filter
def inr(value, places=2):
    """Money: 1234567.5 -> 12,34,567.50; negatives keep their sign."""
    return format_indian(value, int(places))


@register.filter
def inr_signed(value):
    """P&L: +1,234.50 / -1,234.50 / 0.00."""
    return format_indian(value, 2, signed=True)


@register.filter
def price(value):
    """Prices: two decimals, up to four when the tick needs them (0.0025)."""
    return format_indian(value, 2, max_places=4)


@register.filter
def qty(value):
    """Whole quantities with Indian grouping: 100000 -> 1,00,000."""
    return format_indian(value, 0)


@register.filter
def pnl_class(value) -> str:
    """'up', 'down' or '' for colouring a signed amount (as shown, to the paisa)."""
    number = _decimal(value)
    if number is None or not number.is_finite() or abs(number) < Decimal("0.005"):
        return ""
    return "up" if number > 0 else "down"


def plain_decimal(value) -> str:
    """For input values and steps: 1300.000000 -> 1300, 0.050000 -> 0.05 (never 1.3E+3)."""
    number = _decimal(value)
    if number is None or not number.is_finite():
        return ""
    return format(number.normalize(), "f")


@register.filter
def plain(value) -> str:
    return plain_decimal(value)
