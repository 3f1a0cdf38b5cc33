import pytest

from marketdata.demo import demo_instruments_import
from marketdata.services import WATCHLIST_MAX
from tests.accounts.factories import UserFactory
from tests.conftest import jwt_client
from tests.marketdata.factories import InstrumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    demo_instruments_import()


def symbols(response) -> list[str]:
    return [i["symbol"] for i in response.json()["results"]]


def test_search_ranks_exact_then_prefix_then_contains(auth_client, demo):
    InstrumentFactory(symbol="XSBINX-EQ", name="OTHER")
    found = symbols(auth_client.get("/api/v1/instruments/", {"search": "sbin"}))
    assert found[:2] == ["SBIN-EQ", "SBIN29DEC26FUT"]
    assert found[-1] == "XSBINX-EQ"


def test_search_filters_by_exchange_and_type_and_paginates(auth_client, demo):
    body = auth_client.get("/api/v1/instruments/", {"exchange": "NFO", "type": "OPTIDX", "page_size": 3}).json()
    assert body["count"] == 8 and len(body["results"]) == 3 and body["next"]
    assert {i["instrument_type"] for i in body["results"]} == {"OPTIDX"}
    assert body["results"][0]["tick_size"] == "0.0500"


def test_search_finds_by_token(auth_client, demo):
    assert symbols(auth_client.get("/api/v1/instruments/", {"search": "3045"})) == ["SBIN-EQ"]


def test_watchlist_add_list_remove(auth_client, demo):
    first = auth_client.post("/api/v1/watchlist/", {"symbol": "NSE:SBIN-EQ"}, format="json")
    assert first.status_code == 201
    again = auth_client.post("/api/v1/watchlist/", {"symbol": "NSE:SBIN-EQ"}, format="json")
    assert again.status_code == 200
    auth_client.post("/api/v1/watchlist/", {"symbol": "NSE:INFY-EQ"}, format="json")
    items = auth_client.get("/api/v1/watchlist/").json()["results"]
    assert [i["instrument"]["symbol"] for i in items] == ["SBIN-EQ", "INFY-EQ"]
    sbin_id = items[0]["instrument"]["id"]
    assert auth_client.delete(f"/api/v1/watchlist/{sbin_id}/").status_code == 204
    gone = auth_client.delete(f"/api/v1/watchlist/{sbin_id}/")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_on_watchlist"


def test_watchlists_are_private(auth_client, demo):
    auth_client.post("/api/v1/watchlist/", {"symbol": "NSE:SBIN-EQ"}, format="json")
    other = jwt_client(UserFactory())
    assert other.get("/api/v1/watchlist/").json()["results"] == []


def test_a_full_watchlist_refuses_more(auth_client):
    for i in range(WATCHLIST_MAX + 1):
        InstrumentFactory(symbol=f"W{i}-EQ")
    for i in range(WATCHLIST_MAX):
        assert auth_client.post("/api/v1/watchlist/", {"symbol": f"NSE:W{i}-EQ"}, format="json").status_code == 201
    full = auth_client.post("/api/v1/watchlist/", {"symbol": f"NSE:W{WATCHLIST_MAX}-EQ"}, format="json")
    assert full.status_code == 409 and full.json()["error"]["code"] == "watchlist_full"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"symbol": "NSE:NOPE-EQ"}, 404, "unknown_symbol"),
        ({"symbol": "nonsense"}, 400, "invalid_symbol"),
        ({"symbol": "NSE:SBIN-EQ", "qty": 1}, 400, "unknown_field"),
        ({}, 400, "validation_error"),
    ],
)
def test_bad_watchlist_input(auth_client, demo, body, status, code):
    response = auth_client.post("/api/v1/watchlist/", body, format="json")
    assert response.status_code == status and response.json()["error"]["code"] == code
