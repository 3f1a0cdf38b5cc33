import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from marketdata import quotes
from marketdata.ticks import QuoteRow
from orders.services import account_open
from tests.conftest import requires_redis
from tests.marketdata.factories import InstrumentFactory, QuoteFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/quotes/"


@pytest.fixture
def sbin():
    return QuoteFactory(
        instrument=InstrumentFactory(symbol="SBIN-EQ", token="3045"),
        ltp=Decimal("812.35"),
        close=Decimal("800.00"),
        timestamp=datetime.now(UTC) - timedelta(milliseconds=300),
    )


def test_it_returns_each_quote_with_change_age_and_freshness(auth_client, sbin):
    body = auth_client.get(URL, {"symbols": "NSE:SBIN-EQ"}).json()
    assert body["unknown"] == []
    (q,) = body["quotes"]
    assert (q["exchange"], q["symbol"], q["ltp"], q["close"]) == ("NSE", "SBIN-EQ", "812.35", "800.00")
    assert (q["change"], q["change_percent"]) == ("12.35", "1.54")
    assert (q["bid"], q["ask"], q["open"], q["high"], q["low"]) == ("99.95", "100.05", "98.00", "101.00", "97.50")
    assert q["volume"] == 1000
    assert 250 <= q["age_ms"] < 10_000
    assert q["stale"] is False
    assert q["timestamp"].endswith("Z")


def test_unknown_symbols_are_listed_not_fatal(auth_client, sbin):
    body = auth_client.get(URL, {"symbols": "NSE:SBIN-EQ,NSE:NOPE-EQ,BSE:SBIN-EQ"}).json()
    assert [q["symbol"] for q in body["quotes"]] == ["SBIN-EQ"]
    assert body["unknown"] == ["NSE:NOPE-EQ", "BSE:SBIN-EQ"]


def test_an_old_quote_is_served_but_flagged_stale(auth_client, sbin, settings):
    sbin.timestamp = datetime.now(UTC) - timedelta(seconds=settings.QUOTES_STALE_AFTER_SECONDS + 5)
    sbin.save()
    (q,) = auth_client.get(URL, {"symbols": "NSE:SBIN-EQ"}).json()["quotes"]
    assert q["ltp"] == "812.35" and q["stale"] is True


def test_an_instrument_that_never_ticked_has_no_price_and_is_stale(auth_client):
    InstrumentFactory(symbol="QUIET-EQ")
    (q,) = auth_client.get(URL, {"symbols": "NSE:QUIET-EQ"}).json()["quotes"]
    assert q["ltp"] is None and q["stale"] is True and q["age_ms"] is None


@pytest.mark.parametrize(
    ("symbols", "code"),
    [
        ("", "validation_error"),
        ("SBIN-EQ", "invalid_symbol"),
        ("NSE:", "invalid_symbol"),
        ("XYZ:SBIN-EQ", "invalid_symbol"),
        ("NSE:SBIN-EQ;DROP TABLE", "invalid_symbol"),
        (",".join(f"NSE:S{i}-EQ" for i in range(51)), "too_many_symbols"),
    ],
)
def test_bad_symbol_lists_are_4xx_with_a_code(auth_client, symbols, code):
    response = auth_client.get(URL, {"symbols": symbols})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["fields"].keys() == {"symbols"}


def test_fifty_symbols_are_allowed(auth_client):
    response = auth_client.get(URL, {"symbols": ",".join(f"NSE:S{i}-EQ" for i in range(50))})
    assert response.status_code == 200 and len(response.json()["unknown"]) == 50


def test_the_dashboard_session_can_read_quotes(client, user, password, sbin):
    client.login(username=user.username, password=password)
    assert client.get(URL, {"symbols": "NSE:SBIN-EQ"}).json()["quotes"][0]["ltp"] == "812.35"


def test_a_warm_read_is_served_from_the_process_cache_without_queries(
    user, auth_client, sbin, django_assert_num_queries
):
    account_open(user=user)  # a trader's request also chooses their account: remembered by the process
    auth_client.get(URL, {"symbols": "NSE:SBIN-EQ"})
    # Only authentication touches the database (the user row); the account, quotes and symbols come from memory.
    with django_assert_num_queries(1):
        assert auth_client.get(URL, {"symbols": "NSE:SBIN-EQ"}).status_code == 200


def test_the_feed_publishing_updates_the_process_cache_at_once(auth_client, sbin):
    auth_client.get(URL, {"symbols": "NSE:SBIN-EQ"})
    row = QuoteRow(sbin.instrument_id, Decimal("820.00"), None, None, None, None, None, Decimal("800"), 5, 1e10)
    quotes.quotes_publish([row])
    assert auth_client.get(URL, {"symbols": "NSE:SBIN-EQ"}).json()["quotes"][0]["ltp"] == "820.00"


@requires_redis()
def test_with_redis_an_empty_process_cache_is_refilled_from_redis_not_the_database(
    user, auth_client, sbin, django_assert_num_queries
):
    account_open(user=user)  # a trader's request also chooses their account: remembered by the process
    row = QuoteRow(sbin.instrument_id, Decimal("821.00"), None, None, None, None, None, Decimal("800"), 5, 1e10)
    quotes.quotes_publish([row])
    auth_client.get(URL, {"symbols": "NSE:SBIN-EQ"})  # warm the symbol map
    quotes.l1_clear()
    with django_assert_num_queries(1):  # the user row only (the account is remembered, quotes come from Redis)
        body = auth_client.get(URL, {"symbols": "NSE:SBIN-EQ"}).json()
    assert body["quotes"][0]["ltp"] == "821.00"
    assert cache.get(f"q:{sbin.instrument_id}").ltp == Decimal("821.00")


DEAD_REDIS = "redis://127.0.0.1:1/0"


def test_with_redis_down_quotes_come_from_the_database_judged_by_their_own_age_with_one_warning(
    auth_client, sbin, caplog
):
    dead = {
        **settings.CACHES,  # the rate limits' cache has its own fallback
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        },
    }
    quotes.l2_breaker.close()
    with override_settings(REDIS_URL=DEAD_REDIS, CACHES=dead), caplog.at_level(logging.WARNING, "marketdata.quotes"):
        responses = []
        for _ in range(3):
            quotes.l1_clear()
            responses.append(auth_client.get(URL, {"symbols": "NSE:SBIN-EQ"}))
    quotes.l2_breaker.close()
    assert [r.status_code for r in responses] == [200, 200, 200]
    for response in responses:
        q = response.json()["quotes"][0]
        assert q["ltp"] == "812.35" and q["stale"] is False  # the feed wrote it 300 ms ago
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "L2" in r.getMessage()]
    assert len(warnings) == 1


def test_asking_for_a_quote_keeps_the_instrument_ticking_for_a_while(auth_client):
    from marketdata.bus import wanted_instrument_ids
    from marketdata.services.interest import _interest_noted

    _interest_noted.clear()
    quiet = InstrumentFactory(symbol="QUIET-EQ")
    assert quiet.id not in wanted_instrument_ids()
    auth_client.get(URL, {"symbols": "NSE:QUIET-EQ"})
    assert quiet.id in wanted_instrument_ids()
