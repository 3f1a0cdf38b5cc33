"""Amounts as Indian traders read them: 10,00,000.00 (lakh and crore grouping)."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

EMPTY = "—"


def as_decimal(value) -> Decimal | None:
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
    number = as_decimal(value)
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


def inr(value) -> str:
    """Rupees with two decimals in Indian grouping, for messages: 15,96,05,250.00."""
    return format_indian(value, places=2)


def price(value) -> str:
    """A price for messages: 1,500.05 (two decimals, up to four when the tick needs them)."""
    return format_indian(value, places=2, max_places=4)


def quantity(value) -> str:
    """A whole quantity in Indian grouping: 1,00,000."""
    return format_indian(value, places=0)


def plain_number(value) -> str:
    """For tick sizes and input values: 0.05, 5, 1300 (never 1.3E+3, never trailing zeros)."""
    number = as_decimal(value)
    if number is None or not number.is_finite():
        return ""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def rupees(value, *, signed: bool = False) -> str:
    """Money with its sign: ₹12,34,567.50, -₹1,234.50 (with signed, +₹1,234.50 too)."""
    text = format_indian(value, places=2, signed=signed)
    if text == EMPTY:
        return text
    if text[0] in "+-":
        return f"{text[0]}₹{text[1:]}"
    return f"₹{text}"
