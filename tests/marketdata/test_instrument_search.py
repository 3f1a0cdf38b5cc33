"""Search by tokens in any order (underlying, strike, CE/PE, FUT, month, company name), ranked, through the API
and the dashboard's search partial: both read one selector."""

from datetime import date
from decimal import Decimal

import pytest

from marketdata.demo import demo_instruments_import
from marketdata.models import Instrument
from tests.marketdata.factories import InstrumentFactory
from tests.orders.conftest import set_quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    demo_instruments_import()


def search(client, text: str, **extra) -> list[dict]:
    response = client.get("/api/v1/instruments/", {"search": text, **extra})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def symbols(client, text: str) -> list[str]:
    return [i["symbol"] for i in search(client, text)]


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("nifty 26000 ce", "NIFTY29DEC2626000CE"),
        ("26000 ce nifty", "NIFTY29DEC2626000CE"),
        ("NIFTY 26000 PE", "NIFTY29DEC2626000PE"),
        ("banknifty fut", "BANKNIFTY29DEC26FUT"),
        ("nifty dec fut", "NIFTY29DEC26FUT"),
        ("nifty jan fut", "NIFTY25JAN27FUT"),
        ("state bank", "SBIN-EQ"),
        ("hdfc bank", "HDFCBANK-EQ"),
        ("Reliance Industries", "RELIANCE-EQ"),
        ("nifty 29 dec 26000 call", "NIFTY29DEC2626000CE"),
        ("sbin futures", "SBIN29DEC26FUT"),
    ],
)
def test_tokens_in_any_order_find_the_contract(auth_client, demo, text, first):
    assert symbols(auth_client, text)[0] == first


def test_every_token_must_match(auth_client, demo):
    assert set(symbols(auth_client, "nifty 26000 ce")) == {"NIFTY29DEC2626000CE"}
    # A word may match inside another (BANKNIFTY holds "nifty"): after the contracts it names outright.
    assert symbols(auth_client, "nifty dec fut") == ["NIFTY29DEC26FUT", "BANKNIFTY29DEC26FUT"]
    assert set(symbols(auth_client, "banknifty fut")) == {"BANKNIFTY29DEC26FUT"}
    assert symbols(auth_client, "nifty 26000 xx") == []


def test_an_underlying_ranks_the_index_then_futures_by_expiry_then_options(auth_client, demo):
    found = symbols(auth_client, "nifty")
    assert found[:3] == ["Nifty 50", "NIFTY29DEC26FUT", "NIFTY25JAN27FUT"]
    options = found[3:9]
    assert options == sorted(options, key=lambda s: (s[-7:-2], s[-2:])) and all(s.startswith("NIFTY") for s in options)
    assert found[9] == "Nifty Bank"  # "nifty" as a word of its name, then inside BANKNIFTY's symbols
    assert found[10:] == ["BANKNIFTY29DEC26FUT", "BANKNIFTY29DEC2658000CE", "BANKNIFTY29DEC2658000PE"]


def test_a_company_name_finds_the_share_first_then_its_derivatives(auth_client, demo):
    found = symbols(auth_client, "state bank")
    assert found[:2] == ["SBIN-EQ", "SBIN29DEC26FUT"]


def test_results_carry_the_display_name_lot_size_and_ltp(auth_client, demo):
    set_quote("NFO", "NIFTY29DEC2626000CE", "298.60")
    [row] = search(auth_client, "nifty 26000 ce")
    assert row["display_name"] == "NIFTY 29 DEC 26000 CE"
    assert row["lot_size"] == 65
    assert row["ltp"] == "298.60"
    [sbin, *_] = search(auth_client, "state bank")
    assert sbin["company_name"] == "State Bank of India" and sbin["ltp"] is None  # no quote yet


def test_a_search_made_of_separators_only_lists_everything_in_order(auth_client, demo):
    assert len(search(auth_client, " - ", page_size=500)) == Instrument.objects.filter(is_active=True).count()


def test_instruments_made_one_by_one_are_searchable_too(auth_client):
    InstrumentFactory(
        exchange="NFO",
        symbol="TCS29DEC264000CE",
        name="TCS",
        instrument_type="OPTSTK",
        lot_size=175,
        expiry=date(2026, 12, 29),
        strike=Decimal("4000"),
        company_name="Tata Consultancy Services",
    )
    assert symbols(auth_client, "tata 4000 ce") == ["TCS29DEC264000CE"]


def test_the_dashboard_search_shows_display_names_lot_and_ltp(client, user, demo):
    set_quote("NFO", "NIFTY29DEC2626000CE", "298.60")
    client.force_login(user)
    body = client.get("/market/instruments/search/", {"q": "nifty 26000 ce"}).content.decode()
    assert "NIFTY 29 DEC 26000 CE" in body
    assert "Lot 65" in body and "298.60" in body
    assert "State Bank of India" in client.get("/market/instruments/search/", {"q": "state bank"}).content.decode()
