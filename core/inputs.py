"""Numbers and dates from outside (API bodies, query strings, dashboard forms): one set of rules for all of them.

Python is generous where money is concerned: int("३००") is 300, Decimal("१००") is 100,
Decimal("1e999999999") is a number no account holds and that overflows the first sum it
meets, and dates run from year 1 to 9999, where adding a day or moving to IST overflows.
Every field that reads a number or a date goes through these functions (the API's fields in
core.api, the dashboard's in core.forms, the services that take numbers inside JSON objects),
so each way in refuses the same things, with the same stable codes.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

# Far wider than any market data or backtest, and far enough from year 1 and 9999 that a
# day added or an offset applied never overflows.
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2100, 12, 31)
# No price, quantity or amount comes near 10^15 (a thousand lakh crore rupees); a wider value
# would overflow the money columns (18 digits before the point) or the first calculation.
WHOLE_DIGITS = 15
# Finer than any tick, rate or amount (the rules refuse those with their own codes: a price off its tick, an
# amount with more than paise), but a JSON number from any float library fits (0.1234567890123456789 has 19
# places, 1.0000000000000002e-08 has 24). 1e-999999999 does not: the arithmetic on it underflows to zero.
DECIMAL_PLACES = 30
# The largest whole number every database here stores and compares (a signed 64-bit integer).
INT_MAX = 2**63 - 1

# A number written in more characters than this is not one anybody means.
MAX_NUMBER_TEXT = 64

NON_ASCII_MESSAGE = "Write numbers and dates with the digits 0-9."
INVALID_NUMBER_MESSAGE = "Enter a number, e.g. 1234.50."


class InputRefused(ValueError):
    """A number or date that cannot be taken as it is; `code` is stable, `message` says what to change."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def ascii_text(text: str) -> str:
    """`text` unchanged when it is plain ASCII; refused when it holds anything else: Devanagari digits (३००),
    Arabic-Indic or full-width ones, or any other letter or sign a number or a date never needs."""
    if not text.isascii():
        raise InputRefused(NON_ASCII_MESSAGE, "non_ascii_digits")
    return text


def digits_only(text: str) -> bool:
    """True for "123", False for "१२३" and "²" (str.isdigit accepts both, and int() then reads or refuses them)."""
    return text.isascii() and text.isdigit()


def decimal_parse(value, *, whole_digits: int = WHOLE_DIGITS, places: int = DECIMAL_PLACES) -> Decimal:
    """A finite Decimal with at most `whole_digits` digits before the point and `places` after it.

    Takes text ("1234.50", "1e3"), an int, or a Decimal (JSON numbers arrive as Decimal, see
    core.parsers), or a float from Python code (read through its shortest repr, never its binary
    expansion). The value is kept exact: 812.350 stays 812.350.
    """
    if isinstance(value, float):
        value = str(value)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise InputRefused(INVALID_NUMBER_MESSAGE, "invalid_number")
    if isinstance(value, str):
        text = ascii_text(value.strip())
        try:
            value = Decimal(text) if len(text) <= MAX_NUMBER_TEXT else None
        except InvalidOperation:
            value = None
        if value is None:
            raise InputRefused(INVALID_NUMBER_MESSAGE, "invalid_number")
    return decimal_bounded(Decimal(value), whole_digits=whole_digits, places=places)


def decimal_bounded(number: Decimal, *, whole_digits: int = WHOLE_DIGITS, places: int = DECIMAL_PLACES) -> Decimal:
    """`number` when it is finite and within the digits; read from its digits alone (no arithmetic, which
    would itself overflow on 1e999999999)."""
    if not number.is_finite():
        raise InputRefused("Enter a finite number.", "invalid_number")
    _, digits, exponent = number.as_tuple()
    significant = "".join(map(str, digits)).rstrip("0")
    if not significant:  # zero: as written ("0.00"), unless its exponent is absurd ("0e999999999")
        return number if -places <= exponent <= 0 else Decimal(0)
    if number.adjusted() >= whole_digits:
        raise InputRefused(f"Too large: at most {whole_digits} digits before the decimal point.", "number_too_large")
    decimals = -(exponent + len(digits) - len(significant))
    if decimals > places:
        raise InputRefused(f"Too precise: at most {places} decimal places.", "too_many_decimals")
    return number


def int_parse(value, *, minimum: int = -INT_MAX, maximum: int = INT_MAX) -> int:
    """A whole number from text of ASCII digits ("42", " -7 "), or an int, within [minimum, maximum]."""
    if isinstance(value, str):
        text = ascii_text(value.strip())
        try:
            value = int(text)
        except ValueError:
            raise InputRefused("Enter a whole number.", "invalid_number") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputRefused("Enter a whole number.", "invalid_number")
    if not minimum <= value <= maximum:
        raise InputRefused(f"Enter a whole number from {minimum} to {maximum}.", "number_out_of_range")
    return value


def date_bounded(day: date) -> date:
    """`day` (a date, or the date part of a datetime) when it lies between DATE_MIN and DATE_MAX."""
    if not DATE_MIN <= (day.date() if isinstance(day, datetime) else day) <= DATE_MAX:
        message = f"Give a date from {DATE_MIN:%Y-%m-%d} to {DATE_MAX:%Y-%m-%d}."
        raise InputRefused(message, "date_out_of_range")
    return day


def ids_parse(texts) -> list[int]:
    """Row ids from a form or a query (ticked boxes, "3,7" split): the whole numbers from 1 to INT_MAX among
    `texts`; anything else names no row and is left out."""
    ids = []
    for text in texts:
        try:
            ids.append(int_parse(text, minimum=1))
        except InputRefused:
            continue
    return ids
