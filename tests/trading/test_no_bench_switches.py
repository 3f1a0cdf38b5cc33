"""The product has no switch or branch for the benchmarks: they set up what they need in their own harness."""

import ast
from decimal import Decimal as D

import pytest
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts.selectors import default_account_for
from benchmarks._risk_switch import RiskChecksApi
from orders.models import OrderStatus
from risk.profiles import risk_profile_for
from tests.conftest import jwt_client
from tests.orders.conftest import market, trader  # noqa: F401 - fixtures
from tests.trading.test_configuration_doc import ROOT, product_modules


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}


def test_no_product_module_imports_the_benchmarks():
    importing = [
        str(path.relative_to(ROOT))
        for path in product_modules()
        if any(name == "benchmarks" or name.startswith("benchmarks.") for name in _imports(path))
    ]
    assert importing == []


def test_the_settings_hold_nothing_for_the_benchmarks():
    mentions = [
        path.name for path in (ROOT / "trading" / "settings").glob("*.py") if "bench" in path.read_text().lower()
    ]
    assert mentions == []


@pytest.mark.django_db
def test_the_benchmark_server_turns_the_risk_checks_off_and_on_without_the_product_knowing(market, trader):  # noqa: F811
    profile = risk_profile_for(default_account_for(trader).id)
    profile.max_order_value_equity = D("1000")
    profile.save()
    client = jwt_client(trader)
    order = {"symbol": "SBIN-EQ", "exchange": "NSE", "side": "BUY", "quantity": 10, "order_type": "LIMIT"}
    too_big = {**order, "price": "800.00", "product": "CNC"}

    def switch(enabled: bool) -> None:
        request = APIRequestFactory().post("/bench/risk-checks/", {"enabled": enabled}, format="json")
        force_authenticate(request, user=trader)
        assert RiskChecksApi.as_view()(request).data == {"enabled": enabled}

    try:
        switch(False)
        accepted = client.post("/api/v1/orders/", too_big, format="json")
        assert accepted.status_code == 201 and accepted.json()["status"] == OrderStatus.NEW
    finally:
        switch(True)
    refused = client.post("/api/v1/orders/", too_big, format="json")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "risk_max_order_value"
