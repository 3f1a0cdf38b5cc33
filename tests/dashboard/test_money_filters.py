from decimal import Decimal

import pytest

from core.templatetags.money import inr, inr_signed, plain, pnl_class, price, qty, signed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1000000"), "10,00,000.00"),
        (Decimal("123456789.126"), "12,34,56,789.13"),
        (Decimal("-1234567.5"), "-12,34,567.50"),
        (Decimal("999.999"), "1,000.00"),
        (Decimal("100000"), "1,00,000.00"),
        (Decimal("12345"), "12,345.00"),
        (Decimal("0"), "0.00"),
        (Decimal("-0.001"), "0.00"),  # never "-0.00"
        (Decimal("-5"), "-5.00"),
        (12.5, "12.50"),
        (None, "—"),
        ("", "—"),
        ("not a number", "—"),
        (Decimal("NaN"), "—"),
    ],
)
def test_inr_groups_digits_the_indian_way(value, expected):
    assert inr(value) == expected


def test_signed_amounts_prices_and_quantities():
    assert inr_signed(Decimal("1234.5")) == "+₹1,234.50"
    assert inr_signed(Decimal("-1234.5")) == "-₹1,234.50"
    assert inr_signed(Decimal("0")) == "₹0.00"
    assert inr_signed(None) == "—"
    assert signed(Decimal("1.255")) == "+1.26"
    assert price(Decimal("26150.000000")) == "26,150.00"
    assert price(Decimal("0.0025")) == "0.0025"
    assert price(Decimal("1234.565")) == "1,234.565"
    assert qty(1500000) == "15,00,000"
    assert qty(-130) == "-130"


def test_pnl_class_follows_the_amount_as_shown():
    assert pnl_class(Decimal("0.01")) == "up"
    assert pnl_class(Decimal("-3")) == "down"
    assert pnl_class(Decimal("-0.001")) == ""
    assert pnl_class(None) == ""


def test_plain_never_uses_exponents():
    assert plain(Decimal("1300.000000")) == "1300"
    assert plain(Decimal("0.050000")) == "0.05"
    assert plain(None) == ""
