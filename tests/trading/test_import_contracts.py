"""The import contracts (pyproject.toml, checked by `make lint`) name every app of ours: a new app is placed
in the layers deliberately, never left outside them where it could import anything."""

import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings

CONFIG = tomllib.loads((Path(settings.BASE_DIR) / "pyproject.toml").read_text())["tool"]["importlinter"]


def _our_apps() -> set[str]:
    base = Path(settings.BASE_DIR).resolve()
    return {config.name for config in apps.get_app_configs() if Path(config.path).resolve().parent == base}


def _contract(contract_id: str) -> dict:
    return next(c for c in CONFIG["contracts"] if c["id"] == contract_id)


def _layered() -> set[str]:
    return {name.strip() for layer in _contract("layers")["layers"] for name in layer.split("|")}


def test_our_apps_are_found():
    assert {"core", "orders", "risk", "notifications", "dashboard", "trading"} <= _our_apps()


def test_every_app_is_a_root_package_of_the_contracts():
    assert set(CONFIG["root_packages"]) == _our_apps()


def test_every_app_has_its_place_in_the_layers():
    assert _layered() == _our_apps()


def test_every_app_is_checked_for_circles_between_its_modules():
    assert set(_contract("acyclic")["ancestors"]) == _our_apps()


def test_no_app_may_import_trading_and_none_but_trading_the_dashboard():
    assert set(_contract("trading")["source_modules"]) == _our_apps() - {"trading"}
    assert set(_contract("dashboard")["source_modules"]) == _our_apps() - {"trading", "dashboard"}
    assert set(_contract("stream")["source_modules"]) == _our_apps() - {"trading", "stream"}


def test_core_and_monitoring_may_import_no_other_app():
    assert set(_contract("core")["forbidden_modules"]) == _our_apps() - {"core"}
    assert set(_contract("monitoring")["forbidden_modules"]) == _our_apps() - {"core", "monitoring"}
