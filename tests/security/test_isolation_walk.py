"""Tenant isolation, walked over every route: trader B can neither see nor touch anything of trader A's.

The routes come from the OpenAPI schema (every path and method) and from the
dashboard's URLconf, so a new endpoint is walked without anyone remembering to
add it; a path parameter the walk does not know fails the test until ID_SOURCES
says which of A's objects to put in it. For each route with ids, B calls it
with A's ids: the answer must be the one for an id that does not exist at all
(404; 405 only where the method is refused whatever the id) and never a 5xx.
Routes without ids must not show any of A's objects to B. Afterwards every row
of A's is as it was.

Then the same walk as A herself with her other (empty) account chosen (the `X-Trading-Account`
header, the dashboard's switcher): her default account's orders, trades, ledger and runs are as
foreign there as B's are; routes naming them answer 404, lists never show them, and afterwards
every row of the default account is as it was.
"""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.settings import spectacular_settings

from accounts.models import TradingAccount
from tests.conftest import jwt_client
from tests.security.world import (
    INSTRUMENT_MARK,
    MARK,
    OWNED_ROWS,
    account_snapshot,
    snapshot,
    user_owned_models,
    world_build,
)

pytestmark = pytest.mark.django_db

MISSING_ID = 987654321
# Path parameter -> (which of A's ids to put in it, whether the object is A's own).
# Own objects must be a 404 to B; public ones (an instrument) may answer, but must not show or change A's rows.
ID_SOURCES = {
    "order_id": ("order", True),
    "backtest_id": ("backtest", True),
    "sweep_id": ("sweep", True),
    "run_id": ("run", True),
    "key_id": ("api_key", True),
    "account_id": ("account", True),
    "instrument_id": ("instrument", False),
    "exchange": ("instrument_symbol", False),
    "symbol": ("instrument_symbol", False),
}
# What belongs to an account rather than to its user: walked as A with her other account chosen.
ACCOUNT_SCOPED = {"order_id", "run_id", "instrument_id", "exchange", "symbol"}
# The texts of A's default account's own rows (her backtests, keys and watchlist are hers on every account).
ACCOUNT_MARKS = tuple(
    f"{MARK}-{kind}" for kind in ("order-", "broker-", "trade-1", "ledger", "ext", "run", "notification", "pref")
)
# Plausible values for the fields of the operations and forms that take an id; each API call sends
# those its operation's request schema names, so the call passes validation and reaches the lookup.
PLAUSIBLE = {
    "price": "701.00",
    "quantity": 1,
    "label": "renamed by B",
    "trigger_price": None,
    "exchange": "NSE",
    "symbol": INSTRUMENT_MARK,
    "product": "CNC",
}
FORM_BODY = {"price": "701.00", "quantity": "1", "trigger_price": "", "order_type": "LIMIT", "label": "renamed by B"}
# Pages that list the public instrument catalogue: they may show A's instrument (never A's private texts).
CATALOGUE = {"/api/v1/instruments/", "/market/instruments/search/"}


# --- The routes ----------------------------------------------------------------------------------


def api_operations() -> list[tuple[str, str, dict | None]]:
    """(method, path template, plausible body) of every operation in the OpenAPI schema."""
    schema = spectacular_settings.DEFAULT_GENERATOR_CLASS().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    found = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = content.get("schema", {}).get("$ref", "")
            fields = components[ref.rsplit("/", 1)[-1]].get("properties", {}) if ref else {}
            body = {name: value for name, value in PLAUSIBLE.items() if name in fields} if ref else None
            found.append((method.upper(), path, body))
    return found


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def dashboard_paths() -> list[str]:
    """Path templates of the dashboard's pages: the URLconf less the API, the admin and health checks."""
    paths = []
    for raw in _walk(get_resolver().url_patterns):
        if raw.startswith(("api/", "admin/", "health/")):
            continue
        paths.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", raw))
    return paths


def parameters(template: str) -> list[str]:
    return re.findall(r"{(\w+)}", template)


def fill(template: str, world, *, missing: bool = False) -> list[str]:
    """The template with each of A's ids of the parameter's kind (or with an id that exists nowhere)."""
    names = parameters(template)
    unknown = [name for name in names if name not in ID_SOURCES]
    assert not unknown, f"{template}: add the path parameter(s) {unknown} to ID_SOURCES (which of A's objects?)"
    source = ID_SOURCES[names[0]][0]
    urls = []
    for value in world.ids[source]:
        url = template
        if source == "instrument_symbol":
            exchange, symbol = value if not missing else ("NSE", "NOSUCH-EQ")
            url = url.replace("{exchange}", exchange).replace("{symbol}", symbol)
        else:
            url = url.replace("{" + names[0] + "}", str(MISSING_ID if missing else value))
        urls.append(url)
    return urls


# --- The walk ------------------------------------------------------------------------------------


class Walk:
    def __init__(self, world) -> None:
        self.world = world
        self.api = jwt_client(world.b)
        self.web = Client()
        self.web.force_login(world.b)
        self.marks: tuple[str, ...] | None = None  # None: every mark of A's
        self.who = "B"
        self.requests = 0
        self.routes = 0
        self.problems: list[str] = []

    def call(self, kind: str, method: str, url: str, body: dict | None = None):
        self.requests += 1
        if kind == "api":
            return self.api.generic(method, url, json.dumps(body) if body is not None else "", "application/json")
        if method == "GET":
            return self.web.get(url)
        return self.web.post(url, FORM_BODY)

    def owned(self, kind: str, method: str, template: str, body: dict | None) -> None:
        """B with A's ids gets what an id that exists nowhere gets: 404 (405 if refused whatever the id)."""
        missing = self.call(kind, method, fill(template, self.world, missing=True)[0], body).status_code
        for url in fill(template, self.world):
            got = self.call(kind, method, url, body).status_code
            if got != 404 and not (got == 405 == missing):
                self.problems.append(f"{method} {url} as {self.who}: {got} (an id that does not exist: {missing})")

    def public(self, kind: str, method: str, template: str, body: dict | None) -> None:
        """A public object named by A's (the instrument): any answer but a 5xx, and none of A's private texts."""
        for url in fill(template, self.world):
            self.page(kind, method, url, body, marks=(MARK,))

    def page(self, kind: str, method: str, url: str, body: dict | None = None, marks=None) -> None:
        """Any answer but a 5xx, showing nothing of A's."""
        marks = self.marks or marks or ((MARK,) if url in CATALOGUE else (MARK, INSTRUMENT_MARK))
        response = self.call(kind, method, url, body)
        text = response.content.decode(errors="replace").lower()
        if response.status_code >= 500:
            self.problems.append(f"{method} {url} as {self.who}: {response.status_code}")
        for mark in marks:
            if mark.lower() in text:
                self.problems.append(f"{method} {url} as {self.who} shows something of A's ({mark!r} in the answer)")

    def route(self, kind: str, method: str, template: str, body: dict | None = None) -> None:
        self.routes += 1
        names = parameters(template)
        if not names:
            if method == "GET":
                self.page(kind, method, template)
            elif kind == "api":  # B's own actions (cancel all, close a position of A's instrument...)
                self.page(kind, method, template, body, marks=(MARK,))
            return
        fill(template, self.world)  # fails at once for a parameter with no id source
        owned = ID_SOURCES[names[0]][1]
        (self.owned if owned else self.public)(kind, method, template, body)


class AccountWalk(Walk):
    """A herself with her other account chosen: by the header (API) and by the switcher (dashboard)."""

    def __init__(self, world) -> None:
        super().__init__(world)
        self.api = jwt_client(world.a)
        self.api.credentials(**self.api._credentials, HTTP_X_TRADING_ACCOUNT=str(world.other.id))
        self.web = Client()
        self.web.force_login(world.a)
        chosen = self.web.post("/accounts/trading-account/", {"account": world.other.id})
        assert chosen.status_code == 302
        self.marks = ACCOUNT_MARKS
        self.who = "A on her other account"

    def route(self, kind: str, method: str, template: str, body: dict | None = None) -> None:
        if set(parameters(template)) <= ACCOUNT_SCOPED:  # her backtests, keys and accounts are hers anywhere
            super().route(kind, method, template, body)


def test_every_route_keeps_traders_apart(market):
    world = world_build()
    before = snapshot(world.a)
    walk = Walk(world)
    for method, template, body in api_operations():
        walk.route("api", method, template, body)
    for template in dashboard_paths():
        for method in ("GET", "POST"):
            walk.route("web", method, template)
    after = snapshot(world.a)
    figures = {"routes_walked": walk.routes, "requests_sent": walk.requests, "problems": walk.problems}
    print(f"isolation walk: {walk.routes} routes walked, {walk.requests} requests sent as B")
    out = Path(settings.VAR_DIR) / "artifacts" / "isolation-walk.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    assert not walk.problems, "\n".join(walk.problems)
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"B changed A's rows: {changed}"


# Pages on which A sees her own marked objects: the control that shows the marker check can fail.
A_SEES_HER_MARKS = [
    "/api/v1/orders/",
    "/api/v1/trades/",
    "/api/v1/positions/",
    "/api/v1/watchlist/",
    "/api/v1/funds/ledger/",
    "/api/v1/orders/external/",
    "/api/v1/notifications/",
    "/api/v1/backtests/",
    "/api/v1/sweeps/",
    "/api/v1/api-keys/",
    "/trading/orders/",
    "/trading/positions/",
    "/market/watchlist/",
    "/strategies/backtests/",
    "/strategies/sweeps/",
    "/accounts/api-keys/",
]


def test_the_walk_would_see_a_leak_a_sees_her_own_objects(market):
    world = world_build()
    api, web = jwt_client(world.a), Client()
    web.force_login(world.a)
    for url in A_SEES_HER_MARKS:
        response = (api if url.startswith("/api/") else web).get(url)
        text = response.content.decode()
        assert response.status_code == 200 and (MARK in text or INSTRUMENT_MARK in text), url
    for method, template, _ in api_operations():
        if method == "GET" and parameters(template) and ID_SOURCES[parameters(template)[0]][1]:
            for url in fill(template, world):
                assert api.get(url).status_code == 200, url


def test_every_model_that_belongs_to_a_user_is_in_the_snapshot():
    missing = {model.__name__ for model in user_owned_models()} - {model.__name__ for model in OWNED_ROWS}
    assert not missing, f"add these models to OWNED_ROWS in tests/security/world.py: {sorted(missing)}"


def test_a_path_parameter_without_an_id_source_fails_the_walk():
    world = type("W", (), {"ids": {}})()
    with pytest.raises(AssertionError, match="add the path parameter"):
        fill("/api/v1/widgets/{widget_id}/", world)


def test_every_route_keeps_two_accounts_of_one_trader_apart(market):
    world = world_build()
    default = TradingAccount.objects.get(user=world.a, is_default=True)
    before = account_snapshot(default)
    walk = AccountWalk(world)
    for method, template, body in api_operations():
        walk.route("api", method, template, body)
    for template in dashboard_paths():
        for method in ("GET", "POST"):
            walk.route("web", method, template)
    print(f"account walk: {walk.routes} routes walked, {walk.requests} requests sent as A on her other account")
    assert walk.routes > 50 and not walk.problems, "\n".join(walk.problems)
    changed = [name for name, rows in before.items() if rows != account_snapshot(default)[name]]
    assert not changed, f"acting on her other account changed the default account's rows: {changed}"


def test_the_account_walk_would_see_a_leak_the_default_account_shows_its_orders(market):
    world = world_build()
    api, web = jwt_client(world.a), Client()
    web.force_login(world.a)
    urls = ("/api/v1/orders/", "/api/v1/orders/external/", "/api/v1/funds/ledger/", "/trading/orders/")
    for url in (*urls, "/api/v1/notifications/", "/api/v1/notifications/preferences/", "/trading/notices/"):
        text = (api if url.startswith("/api/") else web).get(url).content.decode()
        assert any(mark in text for mark in ACCOUNT_MARKS), url
