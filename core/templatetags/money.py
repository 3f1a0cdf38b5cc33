"""Money and quantity formatting for the dashboard: Indian digit grouping (10,00,000.00)."""

from decimal import Decimal

from django import template

from core.formatting import as_decimal, format_indian, rupees

register = template.Library()


@register.filter
def inr(value, places=2):
    """Money: 1234567.5 -> 12,34,567.50; negatives keep their sign."""
    return format_indian(value, int(places))


@register.filter
def inr_signed(value):
    """P&L in rupees: +₹1,234.50 / -₹1,234.50 / ₹0.00 (— when unknown)."""
    return rupees(value, signed=True)


@register.filter
def signed(value):
    """A signed figure that is not money (a percentage): +1.25 / -0.40 / 0.00."""
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
    number = as_decimal(value)
    if number is None or not number.is_finite() or abs(number) < Decimal("0.005"):
        return ""
    return "up" if number > 0 else "down"


def plain_decimal(value) -> str:
    """For input values and steps: 1300.000000 -> 1300, 0.050000 -> 0.05 (never 1.3E+3)."""
    number = as_decimal(value)
    if number is None or not number.is_finite():
        return ""
    return format(number.normalize(), "f")


@register.filter
def plain(value) -> str:
    return plain_decimal(value)
