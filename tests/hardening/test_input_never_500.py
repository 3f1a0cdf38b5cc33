"""Inputs an outside probe used to turn into server errors: each now gets a 4xx with a stable code."""

import itertools
import json
import sys
from decimal import Decimal

import pytest
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import get_resolver
from rest_framework import serializers

from core.api import StrictSerializer
from core.parsers import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db

JSON_ENDPOINTS = ["/api/v1/auth/token/", "/api/v1/auth/token/refresh/", "/api/v1/orders/", "/api/v1/watchlist/"]


def envelope(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_json_nested_past_the_limit_is_refused_before_it_is_parsed(auth_client, path):
    body = "[" * 5000 + "]" * 5000
    response = auth_client.post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert envelope(response)["code"] == "malformed_json"


def test_json_nested_to_the_limit_is_parsed_as_usual(auth_client):
    nested = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)  # inside the object: MAX_JSON_DEPTH in all
    body = json.dumps({"username": "someone", "password": "x"})[:-1] + ', "extra": ' + nested + "}"
    response = auth_client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert envelope(response)["code"] == "unknown_field"  # parsed, then refused for the unknown field


def test_brackets_inside_strings_do_not_count_as_nesting(auth_client):
    body = json.dumps({"username": "[" * 1000, "password": "{" * 200})
    response = auth_client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert envelope(response)["code"] == "validation_error"  # too long a username, not malformed


@pytest.mark.parametrize("debug", [False, True])
def test_an_oversized_api_body_is_a_413_in_the_envelope(auth_client, settings, debug):
    settings.DEBUG = debug
    body = json.dumps({"username": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10), "password": "y"})
    response = auth_client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 413
    assert envelope(response)["code"] == "request_too_large"


@pytest.mark.parametrize("debug", [False, True])
def test_non_integer_ids_get_a_json_404_in_every_mode(auth_client, debug):
    with override_settings(DEBUG=debug):
        response = auth_client.get("/api/v1/orders/not-a-number/")
    assert response.status_code == 404
    assert envelope(response)["code"] == "not_found"


@pytest.mark.parametrize(
    "query", ["/api/v1/quotes/?symbols=%00", "/api/v1/instruments/?exchange=%00", "/api/v1/orders/?symbol=a%00b"]
)
def test_a_nul_byte_in_an_api_query_is_a_400_with_a_stable_code(auth_client, query):
    response = auth_client.get(query)
    assert response.status_code == 400
    assert envelope(response)["code"] == "invalid_characters"


@pytest.mark.parametrize(
    "path", ["/market/instruments/search/?q=%00", "/market/instruments/NSE/SB%00IN-EQ/", "/trading/orders/?x=%00"]
)
def test_a_nul_byte_in_a_dashboard_url_is_a_400_page(client, user, password, path):
    client.login(username=user.username, password=password)
    response = client.get(path)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


# --- Extreme numbers and dates, and digits that are not 0-9 (issue 20, item 5) ---------------------------
# Python reads "३००" as 300 and dates from year 1 to 9999; each of these used to be a 500 or a silent
# misreading. They are refused with a stable code, beside the field, and nothing is written.

FAR_DATES = [
    ("0001-01-01", "2023-12-31", "start"),
    ("2023-01-01", "9999-12-31", "end"),
    ("0001-01-01T00:00:00", "2023-12-31", "start"),
    ("2023-01-01", "9999-12-31T23:59:59-05:00", "end"),
]
ARABIC_INDIC_ONE, FULL_WIDTH_ONE = "\u0661", "\uff11"  # digits Python reads as 1 (int("\u0661") == 1)


@pytest.fixture
def sbin_candles(db):
    from tests.strategies.factories import instrument_with_candles

    return instrument_with_candles("SBIN-EQ", count=400)


def backtest_body(**changes) -> dict:
    from tests.strategies.test_api import BODY

    return {**BODY, **changes}


@pytest.mark.parametrize(("start", "end", "field"), FAR_DATES)
@pytest.mark.parametrize("path", ["/api/v1/backtests/", "/api/v1/sweeps/"])
def test_far_dates_on_backtests_and_sweeps_are_refused_naming_the_field(
    auth_client, sbin_candles, path, start, end, field
):
    from strategies.models import Backtest, Sweep

    body = (
        backtest_body(start=start, end=end, grid={"fast": [5, 10]})
        if "sweeps" in path
        else backtest_body(start=start, end=end)
    )
    response = auth_client.post(path, body, format="json")
    assert response.status_code == 422, response.content[:300]
    error = envelope(response)
    assert error["code"] == "date_out_of_range" and field in error["fields"], error
    assert "1900-01-01" in error["message"] and "2100-12-31" in error["message"]
    assert not Backtest.objects.exists() and not Sweep.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        {"start": "0001-01-01T00:00:00"},
        {"start": "0001-01-01T00:00:00", "end": "2023-01-01T00:00:00"},
        {"end": "0001-01-02T00:00:00"},
        {"end": "9999-12-31T23:59:59-05:00"},
        {"start": "9999-12-31T23:59:59"},
        {"start": "२०२३-01-01T00:00:00"},
    ],
)
def test_far_or_foreign_dates_on_candles_are_a_400(auth_client, sbin_candles, query):
    response = auth_client.get("/api/v1/candles/", {"symbol": "NSE:SBIN-EQ", "interval": "1d", **query})
    assert response.status_code == 400, response.content[:300]
    error = envelope(response)
    assert error["code"] == "invalid_datetime" and set(error["fields"]) <= {"start", "end"}, error


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "२०२३-०१-०१"])
def test_far_or_foreign_dates_on_the_order_list_are_a_400(auth_client, day):
    response = auth_client.get("/api/v1/orders/", {"date": day})
    assert response.status_code == 400
    assert envelope(response)["code"] == "invalid_date"


@pytest.fixture
def trader_client(auth_client, user):
    from marketdata.demo import demo_instruments_import
    from orders.services import account_open
    from tests.orders.conftest import set_quote

    demo_instruments_import()
    set_quote("NSE", "SBIN-EQ", "800.00", bid="799.95", ask="800.05")
    account_open(user=user, starting_funds=Decimal("1000000"), always_open=True)
    return auth_client


ORDER = {
    "exchange": "NSE",
    "symbol": "SBIN-EQ",
    "side": "BUY",
    "quantity": 1,
    "order_type": "LIMIT",
    "product": "CNC",
    "price": "800",
}


TOO_LARGE, TOO_PRECISE, NOT_0_9 = "Too large", "Too precise", "Write numbers and dates with the digits 0-9."


@pytest.mark.parametrize("field", ["price", "trigger_price"])
@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ('"1e999999999"', TOO_LARGE),
        ("1e999999999", TOO_LARGE),
        ('"1e-999999999"', TOO_PRECISE),
        ("1e-999999999", TOO_PRECISE),
        ('"1E+26"', TOO_LARGE),
        ("100000000000000000000000000", TOO_LARGE),
        ('"८००"', NOT_0_9),
    ],
)
def test_extreme_or_foreign_prices_are_a_400_and_place_nothing(trader_client, field, raw, says):
    from orders.models import Order

    body = json.dumps({**ORDER, "order_type": "SL", "trigger_price": "801", field: "PLACEHOLDER"})
    body = body.replace('"PLACEHOLDER"', raw)  # a JSON number exactly as written, not through a float
    response = trader_client.post("/api/v1/orders/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    error = envelope(response)
    # Implausible prices keep the code they always had; digits other than 0-9 are no number at all.
    assert error["code"] == (f"invalid_{field}" if says != NOT_0_9 else "validation_error"), error
    assert list(error["fields"]) == [field] and says in error["fields"][field][0], error
    assert not Order.objects.exists()


def test_extreme_prices_on_a_modify_are_a_400_and_change_nothing(trader_client):
    from orders.models import Order

    placed = trader_client.post("/api/v1/orders/", ORDER, format="json").json()
    for price in ["1e999999999", "1e-999999999", "८००"]:
        response = trader_client.patch(f"/api/v1/orders/{placed['id']}/", {"price": price}, format="json")
        assert response.status_code == 400, response.content[:300]
        assert list(envelope(response)["fields"]) == ["price"]
    assert Order.objects.get().price == Decimal("800")


@pytest.mark.parametrize("quantity", ["३००", ARABIC_INDIC_ONE, FULL_WIDTH_ONE])
def test_a_quantity_in_other_digits_is_refused_not_read_as_a_number(trader_client, quantity):
    from orders.models import Order

    response = trader_client.post("/api/v1/orders/", {**ORDER, "quantity": quantity}, format="json")
    assert response.status_code == 400
    assert list(envelope(response)["fields"]) == ["quantity"]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"initial_cash": "1e999999999"}, 400, "initial_cash"),
        ({"initial_cash": "1e-999999999"}, 400, "initial_cash"),
        ({"initial_cash": "100000000000000000000000000"}, 400, "initial_cash"),
        ({"initial_cash": "१००००००"}, 400, "initial_cash"),
        ({"costs": {"model": "flat", "per_order": "1e999999999"}}, 422, "costs.per_order"),
        ({"costs": {"model": "flat", "per_order": "२०"}}, 422, "costs.per_order"),
        ({"costs": {"model": "india", "product": "CNC", "stt_sell_pct": "1e-999999999"}}, 422, "costs.stt_sell_pct"),
        ({"sizing": {"mode": "fixed_value", "value": "1e26"}}, 422, "sizing.value"),
        ({"sizing": {"mode": "percent_equity", "value": "५०"}}, 422, "sizing.value"),
        ({"params": {"fast": "१०", "slow": 20}}, 422, "params.fast"),
        ({"params": {"fast": 5, "slow": FULL_WIDTH_ONE * 2}}, 422, "params.slow"),
        ({"start": "२०२३-01-01"}, 422, "start"),
        ({"slippage_ticks": "३"}, 400, "slippage_ticks"),
    ],
)
def test_extreme_or_foreign_numbers_in_a_backtest_are_refused_naming_the_field(
    auth_client, sbin_candles, changes, status, field
):
    from strategies.models import Backtest

    response = auth_client.post("/api/v1/backtests/", backtest_body(**changes), format="json")
    assert response.status_code == status, response.content[:300]
    assert field in envelope(response)["fields"]
    assert not Backtest.objects.exists()


@pytest.mark.parametrize("query", ["page=३", "page_size=३", "page=²", "page_size=²", "page_size=" + ARABIC_INDIC_ONE])
def test_page_numbers_in_other_digits_are_a_400(auth_client, query):
    response = auth_client.get(f"/api/v1/orders/?{query}")
    assert response.status_code == 400
    assert envelope(response)["code"] in {"invalid_page", "invalid_page_size"}


@pytest.mark.parametrize("ids", [[10**30], ["३"], [2**63]])
def test_notification_ids_out_of_range_or_in_other_digits_are_a_400(auth_client, ids):
    response = auth_client.post("/api/v1/notifications/read/", {"ids": ids}, format="json")
    assert response.status_code == 400
    assert "ids.0" in envelope(response)["fields"]


def test_an_api_key_lifetime_in_other_digits_is_refused(auth_client):
    body = {"name": "bot", "scopes": ["read"], "expires_in_days": "३०"}
    response = auth_client.post("/api/v1/api-keys/", body, format="json")
    assert response.status_code == 400
    assert "expires_in_days" in envelope(response)["fields"]


def test_broker_credentials_with_a_client_code_someone_else_registered_are_a_409_that_names_nobody(db):
    from accounts.models import TradingAccount
    from brokers.models import BrokerAccount
    from tests.accounts.factories import UserFactory
    from tests.conftest import jwt_client

    owner, latecomer = UserFactory(username="first-owner"), UserFactory()
    for user in (owner, latecomer):
        TradingAccount.objects.get_or_create(user=user)
    secrets = {"api_key": "key-1", "pin": "1111", "totp_secret": "KRSXG5CTMVRXEZLU"}
    assert (
        jwt_client(owner)
        .put("/api/v1/broker-account/", {"client_code": "A123456", **secrets}, format="json")
        .status_code
        == 200
    )

    response = jwt_client(latecomer).put(
        "/api/v1/broker-account/", {"client_code": "A123456", **secrets}, format="json"
    )

    assert response.status_code == 409
    error = envelope(response)
    assert error["code"] == "broker_client_code_taken" and list(error["fields"]) == ["client_code"]
    assert "first-owner" not in response.content.decode() and str(owner.id) not in error["message"]
    assert list(BrokerAccount.objects.values_list("account__user", "client_code")) == [(owner.id, "A123456")]
    # An owner saving their own code again is no conflict.
    again = jwt_client(owner).put("/api/v1/broker-account/", {"client_code": "A123456"}, format="json")
    assert again.status_code == 200


# --- The same through the dashboard's forms --------------------------------------------------------------

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def trader_browser(client, user, market_quotes):
    from orders.services import account_open

    account_open(user=user, starting_funds=Decimal("1000000"), always_open=True)
    client.force_login(user)
    return client


@pytest.fixture
def market_quotes(db):
    from marketdata.demo import demo_instruments_import
    from tests.orders.conftest import set_quote

    demo_instruments_import()
    return set_quote("NSE", "SBIN-EQ", "800.00", bid="799.95", ask="800.05")


@pytest.mark.parametrize(
    ("amount", "says"),
    [
        ("1e26", TOO_LARGE),
        ("100000000000000000000000000", TOO_LARGE),
        ("1e999999999", TOO_LARGE),
        ("1e-999999999", TOO_PRECISE),
        ("१००", NOT_0_9),
        (FULL_WIDTH_ONE + ",000", NOT_0_9),
    ],
)
def test_extreme_or_foreign_fund_amounts_on_the_dashboard_are_a_form_error(trader_browser, amount, says):
    from orders.models import LedgerEntry

    before = list(LedgerEntry.objects.values_list("id", flat=True))
    response = trader_browser.post("/trading/funds/move/", {"direction": "deposit", "amount": amount}, **HTMX)
    assert response.status_code == 422
    assert f'data-testid="funds-error-amount">{says}' in response.content.decode()
    assert list(LedgerEntry.objects.values_list("id", flat=True)) == before


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"quantity": "३"}, "quantity", NOT_0_9),
        ({"quantity": "10000000000000000000000000"}, "quantity", ""),
        ({"order_type": "LIMIT", "price": "1e999999999"}, "price", ""),
        ({"order_type": "LIMIT", "price": "1e-999999999"}, "price", ""),
        ({"order_type": "LIMIT", "price": "८००"}, "price", NOT_0_9),
    ],
)
def test_extreme_or_foreign_numbers_on_the_ticket_are_a_form_error(trader_browser, market_quotes, fields, field, says):
    from orders.models import Order

    body = {
        "instrument_id": market_quotes.id,
        "side": "BUY",
        "quantity": "1",
        "order_type": "MARKET",
        "product": "CNC",
        **fields,
    }
    response = trader_browser.post("/trading/orders/place/", body, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert f'data-testid="ticket-error-{field}">' in html
    assert says in html
    assert not Order.objects.exists()


@pytest.mark.parametrize("instrument_id", ["३", "99999999999999999999999"])
def test_instrument_ids_in_other_digits_or_out_of_range_choose_nothing(trader_browser, market_quotes, instrument_id):
    from orders.models import Order

    body = {"instrument_id": instrument_id, "side": "BUY", "quantity": "1", "order_type": "MARKET", "product": "CNC"}
    response = trader_browser.post("/trading/orders/place/", body, **HTMX)
    assert response.status_code == 422
    assert "Choose an instrument" in response.content.decode()
    assert not Order.objects.exists()


@pytest.mark.parametrize("ids", ["99999999999999999999999", "²"])
def test_notice_ids_out_of_range_or_in_other_digits_are_ignored(trader_browser, ids):
    assert trader_browser.post("/trading/notices/read/", {"id": ids}, **HTMX).status_code == 200


@pytest.mark.parametrize("ids", ["99999999999999999999999,1", "²,1", "३,४"])
def test_compare_ids_out_of_range_or_in_other_digits_are_not_a_server_error(client, user, ids):
    client.force_login(user)
    response = client.get("/strategies/compare/", {"ids": ids})
    assert response.status_code < 500
    assert 'class="form-error"' in response.content.decode() or response.status_code == 422


DASHBOARD_BACKTEST = {
    "strategy": "sma_crossover",
    "symbols": "NSE:SBIN-EQ",
    "interval": "1d",
    "initial_cash": "1000000",
    "costs.model": "none",
    "sizing.mode": "percent_equity",
    "sizing.value": "100",
    "params.fast": "5",
    "params.slow": "20",
}


@pytest.mark.parametrize(("start", "end", "field"), FAR_DATES)
@pytest.mark.parametrize("path", ["/strategies/backtests/", "/strategies/sweeps/"])
def test_far_dates_on_the_backtest_and_sweep_forms_are_a_form_error(
    client, user, sbin_candles, path, start, end, field
):
    from strategies.models import Backtest, Sweep

    client.force_login(user)
    body = {**DASHBOARD_BACKTEST, "start": start, "end": end}
    if "sweeps" in path:
        body = {**body, "grid.fast": "5,10", "grid.slow": "20"}
    response = client.post(path, body)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Give a date from 1900-01-01 to 2100-12-31." in html
    assert f'id="id-{field}"' in html and 'aria-invalid="true"' in html.split(f'id="id-{field}"')[1].split(">")[0]
    assert not Backtest.objects.exists() and not Sweep.objects.exists()


@pytest.mark.parametrize("field", ["slippage_ticks", "initial_cash", "sizing.value", "params.fast"])
def test_foreign_digits_on_the_backtest_form_are_a_form_error(client, user, sbin_candles, field):
    from strategies.models import Backtest

    client.force_login(user)
    body = {**DASHBOARD_BACKTEST, "start": "2023-01-01", "end": "2023-12-31", field: "३"}
    response = client.post("/strategies/backtests/", body)
    assert response.status_code == 422
    assert NOT_0_9 in response.content.decode()
    assert not Backtest.objects.exists()


def test_broker_credentials_with_a_taken_client_code_are_a_form_error_on_the_dashboard(client, db):
    from accounts.models import TradingAccount
    from brokers.models import BrokerAccount
    from brokers.services import broker_account_save
    from tests.accounts.factories import UserFactory

    owner, latecomer = UserFactory(username="first-owner"), UserFactory()
    secrets = {"api_key": "key-1", "pin": "1111", "totp_secret": "KRSXG5CTMVRXEZLU"}
    broker_account_save(account=TradingAccount.objects.create(user=owner), client_code="A123456", **secrets)
    TradingAccount.objects.create(user=latecomer)
    client.force_login(latecomer)

    response = client.post("/trading/broker/save/", {"client_code": "A123456", **secrets})

    assert response.status_code == 422
    html = response.content.decode()
    assert "This client code is already registered on this platform" in html and "first-owner" not in html
    assert BrokerAccount.objects.count() == 1


@pytest.mark.parametrize("value", ["३०", "99999999999999999999999"])
def test_an_api_key_lifetime_in_other_digits_or_huge_is_a_form_error(client, user, value):
    from accounts.models import ApiKey

    client.force_login(user)
    response = client.post("/accounts/api-keys/new/", {"name": "bot", "scopes": ["read"], "expires_in_days": value})
    assert response.status_code == 422
    assert not ApiKey.objects.exists()


# --- Every number and date field, now and later -----------------------------------------------------------

DJANGO_NUMBER_AND_DATE_FIELDS = (
    forms.IntegerField,
    forms.DecimalField,
    forms.FloatField,
    forms.DateField,
    forms.DateTimeField,
    forms.DurationField,
)


def dashboard_forms() -> list[type[forms.BaseForm]]:
    """The project's own form classes (the admin's excepted: staff only, and Django's model-form validators bound
    their digits), found through the URLconf so that a form added later is found too."""
    get_resolver().url_patterns  # importing every view imports every form  # noqa: B018
    found, todo = [], [forms.BaseForm]
    while todo:
        for cls in todo.pop().__subclasses__():
            todo.append(cls)
            source = getattr(sys.modules.get(cls.__module__), "__file__", "") or ""
            if source.startswith(str(settings.BASE_DIR)) and ".venv" not in source and ".admin" not in cls.__module__:
                found.append(cls)
    return found


def test_every_number_and_date_field_of_the_dashboard_forms_refuses_other_digits_and_absurd_sizes():
    checked = []
    for form_class in dashboard_forms():
        for name, field in form_class.base_fields.items():
            if not isinstance(field, DJANGO_NUMBER_AND_DATE_FIELDS):
                continue
            for value in ["३", ARABIC_INDIC_ONE, FULL_WIDTH_ONE * 2, "9" * 30, "1e999999999"]:
                with pytest.raises(ValidationError):
                    field.clean(value)
            checked.append(f"{form_class.__name__}.{name}")
    # the ticket's quantity and prices, the modify form's, the funds amount, an API key's lifetime
    assert {"TicketForm.quantity", "TicketForm.price", "FundsForm.amount", "ApiKeyForm.expires_in_days"} <= set(checked)


DRF_NUMBER_AND_DATE_FIELDS = (
    serializers.IntegerField,
    serializers.DecimalField,
    serializers.FloatField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.DurationField,
)
# Per kind: digits other than 0-9, and a value far out of range.
REFUSED = {
    serializers.DateTimeField: ["२०२३-०१-०१" + "T10:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59-05:00"],
    serializers.DateField: ["२०२३-०१-०१", "0001-01-01", "9999-12-31"],
    serializers.DecimalField: ["३००", ARABIC_INDIC_ONE, "1e999999999", "1e-999999999", "1" + "0" * 26],
    serializers.IntegerField: ["३", FULL_WIDTH_ONE, "9" * 30],
}


def api_input_serializers() -> set[type[serializers.Serializer]]:
    """What the API reads: every StrictSerializer (the house's base for bodies) and every view's InputSerializer
    and FilterSerializer, found through the URLconf so that an endpoint added later is found too."""
    found, todo = set(), [StrictSerializer]
    while todo:
        for cls in todo.pop().__subclasses__():
            found.add(cls)
            todo.append(cls)
    patterns = list(get_resolver().url_patterns)
    while patterns:
        pattern = patterns.pop()
        patterns.extend(getattr(pattern, "url_patterns", []))
        callback = getattr(pattern, "callback", None)
        # core.routing joins one view per method on a path; DRF's as_view() keeps its view as `cls`.
        views = [op.cls for op in getattr(callback, "operations", {}).values()] or [getattr(callback, "cls", None)]
        for view, name in itertools.product(views, ("InputSerializer", "FilterSerializer")):
            if serializer := getattr(view, name, None):
                found.add(serializer)
    return found


def input_fields(serializer, prefix=""):
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.Serializer):
            yield from input_fields(field, f"{prefix}{name}.")
        elif not field.read_only:
            yield f"{prefix}{name}", field.child if isinstance(field, serializers.ListField) else field


def test_every_number_and_date_field_the_api_reads_refuses_other_digits_and_far_values():
    checked = []
    for serializer_class in api_input_serializers():
        for name, field in input_fields(serializer_class()):
            if not isinstance(field, DRF_NUMBER_AND_DATE_FIELDS):
                continue
            kind = next(k for k in REFUSED if isinstance(field, k))
            for value in REFUSED[kind]:
                with pytest.raises(serializers.ValidationError):
                    field.run_validation(value)
            checked.append(f"{serializer_class.__name__}.{name}")
    expected = {"quantity", "price", "trigger_price", "date", "start", "end", "initial_cash", "train_days", "ids"}
    assert expected <= {name.rsplit(".", 1)[-1] for name in checked}, checked
