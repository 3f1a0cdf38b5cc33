"""Seed data for the HTTP benchmarks, written through the product's services into the scratch database."""

import json
import secrets
import time
from decimal import Decimal

SYMBOLS_PER_READ = 20  # quotes.py: one read asks for this many symbols
# orders.py: risk limits sized for the benchmark's load, so that every pre-trade check runs and none refuses
# (the product's defaults allow 10 orders/s and 50 open orders per account: a trader, not a load test).
LOAD_RISK_LIMITS = {
    "max_orders_per_second": 100_000,
    "max_orders_per_minute": 1_000_000,
    "max_orders_per_day": 10_000_000,
    "max_open_orders": 100_000,
    "max_position_value": Decimal("1e12"),
    "max_gross_exposure": Decimal("1e12"),
    "daily_loss_limit": Decimal("1e12"),
}


def traders_seed(*, symbols: list[str], exchange: str, clients: int, orders_per_client: int, product: str) -> dict:
    """orders.py: the demo instruments; per client a trader with a paper account funded for its orders."""
    from accounts.services import trader_create_or_update
    from marketdata.demo import demo_instruments_import
    from marketdata.feeds import demo_reference_prices
    from marketdata.models import Instrument
    from orders.services import account_open
    from risk.models import RiskProfile
    from risk.profiles import risk_profile_for

    report = demo_instruments_import()
    instruments = dict(
        Instrument.objects.filter(exchange=exchange, symbol__in=symbols, is_active=True).values_list("symbol", "id")
    )
    missing = [s for s in symbols if s not in instruments]
    if missing:
        raise RuntimeError(f"demo instruments missing: {missing}")
    references = demo_reference_prices()
    top_price = max(Decimal(str(references.get(f"{exchange}:{s}", {}).get("price", 5000))) for s in symbols)
    # Every order blocks at most ~price x 1.01 (CNC: the full value, later held as margin): three
    # times the expected count at twice the highest reference price leaves room for any drift
    # and for one client taking more than its share of the closed-loop run.
    funds = (Decimal(3 * orders_per_client) * top_price * 2).quantize(Decimal(1))
    traders = []
    for n in range(clients):
        password = secrets.token_urlsafe(18)
        user, _ = trader_create_or_update(username=f"bench-orders-{n}", password=password)
        account = account_open(user=user, starting_funds=funds, always_open=True)
        RiskProfile.objects.filter(pk=risk_profile_for(account.id).pk).update(**LOAD_RISK_LIMITS)
        traders.append({"username": user.username, "password": password, "user_id": user.pk, "account_id": account.id})
    return {
        "traders": traders,
        "instrument_ids": [instruments[s] for s in symbols],
        "starting_funds_per_trader": str(funds),
        "risk_limits_per_trader": {k: str(v) for k, v in LOAD_RISK_LIMITS.items()},
        "demo_import": report.summary(),
        "product": product,
    }


def _generated_rows(count: int) -> list[dict]:
    """Scrip-master rows for NSE equities no request has read: the cold sets."""
    return [
        {
            "token": str(9_000_000 + n),
            "symbol": f"BENCH{n:05d}-EQ",
            "name": f"BENCH{n:05d}",
            "expiry": "",
            "strike": "-1.000000",
            "lotsize": "1",
            "instrumenttype": "",
            "exch_seg": "NSE",
            "tick_size": "5.000000",
        }
        for n in range(count)
    ]


def _quote_rows(ids: list[int]) -> list:
    from marketdata.ticks import QuoteRow

    now, rows = time.time(), []
    for n, instrument_id in enumerate(ids):
        ltp = Decimal(100 + n % 900) + Decimal("0.05") * (n % 20)
        rows.append(
            QuoteRow(
                instrument_id=instrument_id,
                ltp=ltp,
                bid=ltp - Decimal("0.05"),
                ask=ltp + Decimal("0.05"),
                open=ltp - 1,
                high=ltp + 2,
                low=ltp - 3,
                close=ltp - Decimal("0.5"),
                volume=1000 + n,
                ts=now,
            )
        )
    return rows


def quotes_seed(cold_sets: int) -> dict:
    """quotes.py: 20 demo NSE equities (the warm set), `cold_sets` sets of 20 generated ones, a Quote row
    for each, and a trader."""
    from accounts.services import trader_create_or_update
    from marketdata.demo import DEMO_SCRIP_MASTER, demo_instruments_import
    from marketdata.models import Instrument
    from marketdata.services import instruments_import, market_state_flush

    demo_report = demo_instruments_import()
    demo_rows = json.loads(DEMO_SCRIP_MASTER.read_bytes())
    warm = [r["symbol"] for r in demo_rows if r["exch_seg"] == "NSE" and r["symbol"].endswith("-EQ")][:SYMBOLS_PER_READ]
    if len(warm) < SYMBOLS_PER_READ:
        raise RuntimeError(f"the demo file has only {len(warm)} NSE equities")
    generated = _generated_rows(cold_sets * SYMBOLS_PER_READ)
    report = instruments_import(data=json.dumps(generated).encode(), deactivate_missing=False)
    if report.created != len(generated):
        raise RuntimeError(f"seeding instruments failed: {report.summary()}")
    cold = [g["symbol"] for g in generated]
    ids = dict(Instrument.objects.filter(exchange="NSE", symbol__in=warm + cold).values_list("symbol", "id"))
    rows = _quote_rows([ids[s] for s in warm + cold])
    market_state_flush(quotes=rows, candles=[])
    password = secrets.token_urlsafe(18)
    user, _ = trader_create_or_update(username="bench-quotes", password=password)
    return {
        "warm_keys": [f"NSE:{s}" for s in warm],
        "cold_key_sets": [
            [f"NSE:{s}" for s in cold[i : i + SYMBOLS_PER_READ]] for i in range(0, len(cold), SYMBOLS_PER_READ)
        ],
        "ids": {f"NSE:{s}": pk for s, pk in ids.items()},
        "username": user.username,
        "user_id": user.pk,
        "password": password,
        "instruments": Instrument.objects.count(),
        "quotes": len(rows),
        "demo_import": demo_report.summary(),
    }


def stream_seed(*, pool: int, viewers: int) -> dict:
    """stream.py: the demo instruments; the first `pool` demo NSE equities (what the clients watch); `viewers`
    users who only watch quotes, each with a JWT access token (no password: they never log in)."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User
    from marketdata.demo import DEMO_SCRIP_MASTER, demo_instruments_import
    from marketdata.models import Instrument

    report = demo_instruments_import()
    rows = json.loads(DEMO_SCRIP_MASTER.read_bytes())
    symbols = [r["symbol"] for r in rows if r["exch_seg"] == "NSE" and r["symbol"].endswith("-EQ")][:pool]
    if len(symbols) < pool:
        raise RuntimeError(f"the demo file has only {len(symbols)} NSE equities")
    ids = dict(Instrument.objects.filter(exchange="NSE", symbol__in=symbols).values_list("symbol", "id"))
    users = User.objects.bulk_create(
        [User(username=f"bench-stream-{n}", password=make_password(None)) for n in range(viewers)]
    )
    return {
        "pool": [f"NSE:{s}" for s in symbols],
        "instrument_ids": {f"NSE:{s}": ids[s] for s in symbols},
        "viewer_tokens": [access_token(user) for user in users],
        "demo_import": report.summary(),
    }


def access_token(user) -> str:
    """A JWT access token as a login hands out (its own token family); JWT_ACCESS_MINUTES says how long it lives."""
    from accounts.tokens import refresh_token_for_login, token_pair

    return token_pair(refresh_token_for_login(user))["access"]
