"""Settings say what they are: money and money rates are Decimal, parsed once, and a bad value stops start-up."""

import ast
from decimal import Decimal

import pytest
from django.conf import settings as product_settings
from django.core.exceptions import ImproperlyConfigured

from tests.trading.test_configuration_doc import product_modules
from tests.trading.test_settings_and_deploy import PRODUCTION_ENV, ROOT, run_manage
from trading.settings.core import env_decimal, env_float, env_int

MONEY_SETTINGS = {
    "PAPER_STARTING_FUNDS",
    "PAPER_SLIPPAGE_BPS",
    "MIS_MARGIN_RATE",
    "NRML_MARGIN_RATE",
    "MARKET_ORDER_PRICE_BUFFER",
}
MONEY_RISK_DEFAULTS = {
    "max_order_value_equity",
    "max_order_value_futures",
    "max_order_value_options",
    "price_band_pct_equity",
    "price_band_pct_futures",
    "price_band_pct_options",
    "max_position_value",
    "max_gross_exposure",
    "daily_loss_limit",
}


@pytest.mark.product_risk_defaults
def test_money_settings_are_decimals_with_their_documented_defaults():
    values = {name: getattr(product_settings, name) for name in MONEY_SETTINGS}
    assert all(type(value) is Decimal for value in values.values()), values
    assert values["MIS_MARGIN_RATE"] == Decimal("0.20") and values["NRML_MARGIN_RATE"] == Decimal("0.15")
    assert values["MARKET_ORDER_PRICE_BUFFER"] == Decimal("0.01")


@pytest.mark.product_risk_defaults
@pytest.mark.django_db
def test_a_new_accounts_risk_limits_are_the_profiles_own_and_money_is_decimal():
    """The limits a new account starts with live on the risk profile, not in the environment."""
    from orders.services import account_open
    from risk.models import RiskProfile
    from risk.profiles import risk_profile_for
    from tests.accounts.factories import UserFactory

    assert not any(name.startswith("RISK_") and name != "RISK_USAGE_VERIFY_IST" for name in dir(product_settings))
    profile = risk_profile_for(account_open(user=UserFactory()).id)
    profile.refresh_from_db()
    assert all(type(getattr(profile, name)) is Decimal for name in MONEY_RISK_DEFAULTS)
    assert profile.max_order_value_equity == Decimal("500000") and profile.max_open_orders == 50
    assert profile.allowed_exchanges == ["NSE", "BSE", "NFO", "BFO"]
    assert RiskProfile._meta.get_field("daily_loss_limit").get_default() == Decimal("50000")


def test_a_decimal_setting_is_read_exactly(monkeypatch):
    monkeypatch.setenv("SOME_RATE", " 0.1 ")
    assert env_decimal("SOME_RATE", "0.5", maximum="1") == Decimal("0.1")  # not 0.1000000000000000055...
    monkeypatch.delenv("SOME_RATE")
    assert env_decimal("SOME_RATE", "0.5") == Decimal("0.5")


@pytest.mark.parametrize(
    ("value", "wanted"),
    [
        ("twenty", "is not a decimal number"),
        ("NaN", "is not a finite decimal number"),
        ("Infinity", "is not a finite decimal number"),
        ("-0.1", "from 0 to 1"),
        ("1.5", "from 0 to 1"),
    ],
)
def test_a_bad_decimal_setting_names_the_variable_and_what_it_must_be(monkeypatch, value, wanted):
    monkeypatch.setenv("SOME_RATE", value)
    with pytest.raises(ImproperlyConfigured) as refused:
        env_decimal("SOME_RATE", "0.5", maximum="1")
    assert str(refused.value).startswith(f"SOME_RATE={value!r}") and wanted in str(refused.value)


@pytest.mark.parametrize(
    ("reader", "value"), [(env_int, "ten"), (env_int, "1.5"), (env_float, "soon"), (env_float, "inf")]
)
def test_a_bad_number_setting_names_the_variable(monkeypatch, reader, value):
    monkeypatch.setenv("SOME_NUMBER", value)
    with pytest.raises(ImproperlyConfigured, match=f"^SOME_NUMBER={value!r} is not"):
        reader("SOME_NUMBER", 1)


def test_a_bad_money_rate_stops_the_platform_at_start_up():
    result = run_manage("check", env={**PRODUCTION_ENV, "MIS_MARGIN_RATE": "20%"})
    assert result.returncode != 0
    assert "MIS_MARGIN_RATE='20%' is not a decimal number" in result.stderr


def _reparsed(tree: ast.AST) -> list[tuple[int, str]]:
    """Decimal(...), float(...) or str(...) around a money setting: the settings already hold the Decimal."""
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"Decimal", "float", "str"}
        ):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Attribute) and inner.attr in MONEY_SETTINGS:
                    found.append((node.lineno, inner.attr))
    return found


def test_no_code_parses_a_money_setting_again():
    reparsed = {
        f"{path.relative_to(ROOT)}:{line}": name
        for path in product_modules()
        if "settings" not in path.relative_to(ROOT).parts
        for line, name in _reparsed(ast.parse(path.read_text()))
    }
    assert reparsed == {}
    assert _reparsed(ast.parse("x = Decimal(str(settings.MIS_MARGIN_RATE))")) == [(1, "MIS_MARGIN_RATE")] * 2
