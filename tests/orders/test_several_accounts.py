"""Several trading accounts per trader: opening them, choosing one (X-Trading-Account, the dashboard's
switcher), keeping them apart, API keys tied to accounts, and resetting a paper account."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.db import IntegrityError
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import TradingAccount
from accounts.selectors import default_account_for
from accounts.services import api_key_create
from orders.books import AccountBooks
from orders.models import Funds, LedgerEntry, Order, OrderStatus, Position
from orders.services import account_open, order_place, paper_account_open
from tests.accounts.factories import UserFactory
from tests.conftest import jwt_client
from tests.orders.conftest import params

pytestmark = pytest.mark.django_db

ACCOUNTS_URL = "/api/v1/accounts/"
ORDERS_URL = "/api/v1/orders/"
ORDER = {"exchange": "NSE", "symbol": "SBIN-EQ", "side": "BUY", "quantity": 1, "product": "CNC"}
ORDER |= {"order_type": "LIMIT", "price": "700"}


def _second(trader, name="Second") -> TradingAccount:
    account = paper_account_open(user=trader, name=name)
    TradingAccount.objects.filter(pk=account.pk).update(always_open=True)
    account.always_open = True
    return account


def _on(client: APIClient, account) -> APIClient:
    client.credentials(**{**client._credentials, "HTTP_X_TRADING_ACCOUNT": str(account.id)})
    return client


def _code(response) -> str:
    return response.json()["error"]["code"]


# --- Opening accounts ---------------------------------------------------------------------------


def test_the_first_account_is_the_default_named_by_its_mode_and_another_one_is_not(trader):
    first = default_account_for(trader)
    second = _second(trader)
    assert (first.name, first.is_default) == ("Paper", True)
    assert (second.name, second.is_default, second.mode) == ("Second", False, "paper")
    assert Funds.objects.get(account=second).cash == Decimal(settings.PAPER_STARTING_FUNDS)  # as a new account's


def test_the_database_refuses_a_second_default_account(trader):
    with pytest.raises(IntegrityError):
        TradingAccount.objects.create(user=trader, name="Another", is_default=True)


def test_the_api_lists_the_accounts_default_first_and_opens_a_paper_one(trader):
    client = jwt_client(trader)
    created = client.post(ACCOUNTS_URL, {"mode": "paper", "name": "Family"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["mode"], body["broker"], body["is_default"]) == ("Family", "paper", "paper", False)
    listed = client.get(ACCOUNTS_URL).json()
    assert [(a["name"], a["is_default"]) for a in listed] == [("Paper", True), ("Family", False)]
    assert set(listed[0]) == {"id", "name", "mode", "broker", "is_default", "created_at"}
    funds = _on(client, TradingAccount.objects.get(pk=body["id"])).get("/api/v1/funds/").json()
    assert Decimal(funds["cash"]) == Decimal(settings.PAPER_STARTING_FUNDS)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"mode": "live", "name": "Real"}, 422, "live_account_not_opened_here"),
        ({"mode": "paper", "name": "Paper"}, 422, "account_name_taken"),
        ({"mode": "paper", "name": ""}, 400, "invalid_name"),
        ({"mode": "paper", "name": "x", "broker": "angelone"}, 400, "unknown_field"),
    ],
)
def test_opening_an_account_is_refused_with_a_stable_code(trader, body, status, code):
    response = jwt_client(trader).post(ACCOUNTS_URL, body, format="json")
    assert (response.status_code, _code(response)) == (status, code)
    assert TradingAccount.objects.filter(user=trader).count() == 1


def test_an_api_key_may_not_open_an_account(trader):
    _, raw = api_key_create(user=trader, name="bot", scopes=["read", "trade", "account"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    response = client.post(ACCOUNTS_URL, {"mode": "paper", "name": "Bot's"}, format="json")
    assert (response.status_code, _code(response)) == (403, "api_key_not_allowed")


# --- Choosing the account ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "status", "code"),
    [
        ("abc", 400, "invalid_account_header"),
        ("-1", 400, "invalid_account_header"),
        ("0", 400, "invalid_account_header"),
        ("987654321", 404, "account_not_found"),
    ],
)
def test_a_bad_account_header_is_refused(trader, market, header, status, code):
    client = jwt_client(trader)
    client.credentials(**client._credentials, HTTP_X_TRADING_ACCOUNT=header)
    response = client.get(ORDERS_URL)
    assert (response.status_code, _code(response)) == (status, code)


def test_a_method_the_route_does_not_answer_is_405_whatever_the_account_header_says(trader, market):
    client = jwt_client(trader)
    client.credentials(**client._credentials, HTTP_X_TRADING_ACCOUNT="987654321")
    response = client.generic("TRACE", ORDERS_URL)
    assert response.status_code == 405
    assert client.get(ORDERS_URL).status_code == 404  # the same header on a method it answers


def test_another_users_account_is_a_404_like_one_that_does_not_exist(trader, market):
    someone = UserFactory()
    theirs = account_open(user=someone)
    for method, url in (("get", ORDERS_URL), ("post", ORDERS_URL), ("get", "/api/v1/funds/")):
        response = getattr(_on(jwt_client(trader), theirs), method)(url, ORDER, format="json")
        assert (response.status_code, _code(response)) == (404, "account_not_found"), url
    assert not Order.objects.filter(account=theirs).exists()


def test_orders_go_to_the_chosen_account_and_each_sees_only_its_own(trader, market):
    second = _second(trader)
    plain, on_second = jwt_client(trader), _on(jwt_client(trader), second)
    first_id = plain.post(ORDERS_URL, ORDER, format="json").json()["id"]
    second_id = on_second.post(ORDERS_URL, ORDER, format="json").json()["id"]
    assert Order.objects.get(pk=first_id).account == default_account_for(trader)
    assert Order.objects.get(pk=second_id).account == second
    assert [o["id"] for o in plain.get(ORDERS_URL).json()["results"]] == [first_id]
    assert [o["id"] for o in on_second.get(ORDERS_URL).json()["results"]] == [second_id]
    for client, foreign in ((plain, second_id), (on_second, first_id)):
        assert _code(client.get(f"{ORDERS_URL}{foreign}/")) == "order_not_found"
        assert client.delete(f"{ORDERS_URL}{foreign}/").status_code == 404
    assert Order.objects.get(pk=first_id).status == Order.objects.get(pk=second_id).status == OrderStatus.NEW


def test_cancel_all_cancels_only_the_chosen_accounts_orders(trader, market):
    second = _second(trader)
    kept, _ = order_place(user=trader, instrument=market["SBIN-EQ"], params=params(order_type="LIMIT", price="700"))
    gone, _ = order_place(
        user=trader, account=second, instrument=market["SBIN-EQ"], params=params(order_type="LIMIT", price="700")
    )
    assert _on(jwt_client(trader), second).post(f"{ORDERS_URL}cancel-all/").status_code == 202
    kept.refresh_from_db()
    gone.refresh_from_db()
    assert (kept.status, gone.status) == (OrderStatus.NEW, OrderStatus.CANCELLED)


def test_a_client_order_id_used_on_one_account_is_not_answered_from_another(trader, market):
    second = _second(trader)
    body = {**ORDER, "client_order_id": "mine-1"}
    first = jwt_client(trader).post(ORDERS_URL, body, format="json")
    assert first.status_code == 201
    again = _on(jwt_client(trader), second).post(ORDERS_URL, body, format="json")
    assert (again.status_code, _code(again)) == (409, "idempotency_key_reused")
    assert f"#{first.json()['id']}" not in again.json()["error"]["message"]  # the other account's order unnamed


def test_the_dashboard_switches_account_by_post_and_keeps_it_in_the_session(trader, market):
    second = _second(trader)
    order_place(user=trader, instrument=market["SBIN-EQ"], params=params(order_type="LIMIT", price="700"))
    web = Client()
    web.force_login(trader)
    assert web.get("/accounts/trading-account/").status_code == 405
    assert b'data-testid="order-row"' in web.get("/trading/orders/").content
    switched = web.post("/accounts/trading-account/", {"account": second.id, "next": "/trading/orders/"})
    assert (switched.status_code, switched["Location"]) == (302, "/trading/orders/")
    page = web.get("/trading/orders/").content.decode()
    assert 'data-testid="order-row"' not in page and 'data-testid="account-name">Second<' in page
    someone = UserFactory()
    theirs = account_open(user=someone)
    assert web.post("/accounts/trading-account/", {"account": theirs.id}).status_code == 404
    assert web.post("/accounts/trading-account/", {"account": "x"}).status_code == 404
    away = web.post("/accounts/trading-account/", {"account": second.id, "next": "https://evil.example/"})
    assert away["Location"] == "/"


# --- API keys tied to accounts ------------------------------------------------------------------------


def test_a_key_acts_on_the_account_it_was_made_for_and_no_other(trader, market):
    second = _second(trader)
    made = _on(jwt_client(trader), second).post(
        "/api/v1/api-keys/", {"name": "second-bot", "scopes": ["trade"]}, format="json"
    )
    assert made.status_code == 201 and made.json()["account_ids"] == [second.id]
    key = APIClient()
    key.credentials(HTTP_AUTHORIZATION=f"Api-Key {made.json()['key']}")
    placed = key.post(ORDERS_URL, ORDER, format="json")  # no header: the account it was made for
    assert placed.status_code == 201 and Order.objects.get(pk=placed.json()["id"]).account == second
    first = default_account_for(trader)
    for method in ("get", "post"):
        response = getattr(_on(key, first), method)(ORDERS_URL, ORDER, format="json")
        assert (response.status_code, _code(response)) == (403, "api_key_account_not_allowed"), method
    listed = APIClient()
    listed.credentials(HTTP_AUTHORIZATION=f"Api-Key {made.json()['key']}")
    assert [a["id"] for a in listed.get(ACCOUNTS_URL).json()] == [second.id]


def test_a_key_made_without_naming_an_account_keeps_acting_on_the_default(trader, market):
    _, raw = api_key_create(user=trader, name="old-bot", scopes=["read", "trade"])
    _second(trader)
    key = APIClient()
    key.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    placed = key.post(ORDERS_URL, ORDER, format="json")
    assert placed.status_code == 201
    assert Order.objects.get(pk=placed.json()["id"]).account == default_account_for(trader)


# --- Resetting a paper account -------------------------------------------------------------------------


def _reset_url(account) -> str:
    return f"{ACCOUNTS_URL}{account.id}/reset/"


def test_a_reset_cancels_orders_clears_positions_and_restores_the_opening_cash(trader, market):
    second = _second(trader)
    sbin = market["SBIN-EQ"]
    working, _ = order_place(
        user=trader, account=second, instrument=sbin, params=params(order_type="LIMIT", price="700")
    )
    with AccountBooks.locked(second.id) as books:
        books.position_fill(instrument_id=sbin.id, product="CNC", side="BUY", quantity=5, price=Decimal("800"))
    untouched, _ = order_place(user=trader, instrument=sbin, params=params(order_type="LIMIT", price="700"))

    response = jwt_client(trader).post(_reset_url(second))

    assert response.status_code == 200
    opening = Decimal(settings.PAPER_STARTING_FUNDS)
    assert Decimal(response.json()["cash"]) == opening and response.json()["account"]["id"] == second.id
    working.refresh_from_db()
    untouched.refresh_from_db()
    assert (working.status, untouched.status) == (OrderStatus.CANCELLED, OrderStatus.NEW)
    assert not Position.objects.filter(account=second).exists()
    funds = Funds.objects.get(account=second)
    assert (funds.cash, funds.reserved, funds.margin_used, funds.positions_held) == (opening, 0, 0, {})
    last = LedgerEntry.objects.filter(account=second).latest("id")
    assert last.kind == LedgerEntry.Kind.ADJUSTMENT and "reset" in last.note and last.balance_after == opening


@pytest.mark.parametrize(
    ("who", "status", "code"), [("live", 422, "live_account_reset"), ("other", 404, "account_not_found")]
)
def test_a_reset_is_refused_for_a_live_account_or_someone_elses(trader, market, who, status, code):
    if who == "live":
        account = default_account_for(trader)
        TradingAccount.objects.filter(pk=account.pk).update(mode="live", broker="angelone")
    else:
        account = account_open(user=UserFactory())
    cash = Funds.objects.get(account=account).cash
    response = jwt_client(trader).post(_reset_url(account))
    assert (response.status_code, _code(response)) == (status, code)
    assert Funds.objects.get(account=account).cash == cash


def test_an_api_key_may_not_reset_an_account(trader):
    _, raw = api_key_create(user=trader, name="bot", scopes=["read", "trade", "account"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    response = client.post(_reset_url(default_account_for(trader)))
    assert (response.status_code, _code(response)) == (403, "api_key_not_allowed")


# --- Strategy runs per account ------------------------------------------------------------------------


def test_a_strategy_run_belongs_to_the_account_it_was_started_on(trader, market):
    second = _second(trader)
    body = {
        "strategy": "sma_crossover",
        "params": {"fast": 5, "slow": 20},
        "symbols": ["NSE:SBIN-EQ"],
        "interval": "1m",
    }
    started = _on(jwt_client(trader), second).post("/api/v1/strategies/runs/", body, format="json")
    assert started.status_code == 201, started.json()
    run_id = started.json()["id"]
    assert [r["id"] for r in _on(jwt_client(trader), second).get("/api/v1/strategies/runs/").json()["results"]] == [
        run_id
    ]
    assert jwt_client(trader).get("/api/v1/strategies/runs/").json()["results"] == []
    assert _code(jwt_client(trader).get(f"/api/v1/strategies/runs/{run_id}/")) == "run_not_found"
