import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from marketdata.bus import Tick, TickBus, register_subscription_provider, wanted_instrument_ids
from marketdata.feeds import FeedRunner, ReplaySource, SimulatedSource
from marketdata.models import Candle, FeedStatus, Quote
from marketdata.services import market_state_flush, market_state_load
from marketdata.ticks import TickProcessor
from tests.conftest import requires_redis
from tests.marketdata.factories import CandleFactory, InstrumentFactory

pytestmark = pytest.mark.django_db


class Clock:
    """Drives a source by hand: no sleeping, no wall clock."""

    def __init__(self, start: float) -> None:
        self.now = start

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def test_the_simulated_source_is_repeatable_and_stays_on_the_tick_grid():
    instrument = InstrumentFactory(symbol="SBIN-EQ", tick_size=Decimal("0.05"))
    paths = []
    for _ in range(2):
        source = SimulatedSource(seed=11)
        source.subscribe({instrument.id})
        clock = Clock(1_800_000_000)
        paths.append([t.ltp for _ in range(200) for t in source.next_ticks(clock.advance(0.25))])
    assert paths[0] == paths[1] and len(paths[0]) > 100
    assert all(p % Decimal("0.05") == 0 and p > 0 for p in paths[0])
    assert len(set(paths[0])) > 5  # it moves


def test_ticks_carry_a_spread_and_lot_multiples():
    future = InstrumentFactory(exchange="NFO", symbol="SBIN29DEC26FUT", instrument_type="FUTSTK", lot_size=750)
    source = SimulatedSource(seed=3)
    source.subscribe({future.id})
    ticks = [t for i in range(50) for t in source.next_ticks(1_800_000_000 + i)]
    assert all(t.bid < t.ltp < t.ask for t in ticks)
    assert all(t.qty % 750 == 0 and t.qty > 0 for t in ticks)


def test_unsubscribed_instruments_stop_ticking():
    a, b = InstrumentFactory(), InstrumentFactory()
    source = SimulatedSource(seed=1)
    source.subscribe({a.id, b.id})
    source.subscribe({a.id})
    assert {t.instrument_id for i in range(20) for t in source.next_ticks(1_800_000_000 + i)} == {a.id}


def test_the_runner_writes_quotes_candles_and_a_heartbeat_and_tells_listeners():
    instrument = InstrumentFactory(symbol="INFY-EQ")
    bus = TickBus()
    heard = []
    bus.subscribe(heard.append)
    runner = FeedRunner(SimulatedSource(seed=5, ticks_per_second=20), bus=bus, symbols={instrument.id})
    runner.run(duration=1.0)
    quote = Quote.objects.get(instrument=instrument)
    assert quote.ltp == heard[-1].ltp
    assert {t.instrument_id for t in heard} == {instrument.id} and len(heard) >= 5
    assert set(Candle.objects.filter(instrument=instrument).values_list("interval", flat=True)) == {
        "1m",
        "5m",
        "15m",
        "1h",
        "1d",
    }
    status = FeedStatus.objects.get(source="simulated")
    assert status.ticks_total == len(heard) and status.instruments == 1


def test_a_restarted_feed_continues_the_open_candle_instead_of_overwriting_it():
    instrument = InstrumentFactory()
    minute = datetime(2026, 11, 24, 3, 45, tzinfo=UTC)
    CandleFactory(instrument=instrument, interval="1m", start=minute, open=100, high=999, low=1, close=120, volume=7)
    processor = TickProcessor(resume=market_state_load)
    processor.process(Tick(instrument.id, Decimal("130"), (minute + timedelta(seconds=30)).timestamp(), 3))
    quotes, candles = processor.drain()
    market_state_flush(quotes=quotes, candles=candles)
    candle = Candle.objects.get(instrument=instrument, interval="1m", start=minute)
    assert (candle.open, candle.high, candle.low, candle.close, candle.volume) == (100, 999, 1, 130, 10)


def test_replay_plays_stored_candles_back_in_order():
    instrument = InstrumentFactory()
    t0 = datetime(2026, 11, 20, 3, 45, tzinfo=UTC)
    for i, (o, h, lo, c) in enumerate([(100, 104, 99, 103), (103, 103, 97, 98)]):
        CandleFactory(
            instrument=instrument, start=t0 + timedelta(minutes=i), open=o, high=h, low=lo, close=c, volume=40
        )
    source = ReplaySource(interval="1m", speed=60)
    source.subscribe({instrument.id})
    prices = [t.ltp for i in range(10) for t in source.next_ticks(1_800_000_000 + i)]
    assert prices == [100, 99, 104, 103, 103, 103, 97, 98]  # open, low/high by direction, close
    assert source.finished


def test_subscription_providers_are_merged():
    register_subscription_provider("test-extra", lambda: {987654})
    try:
        assert 987654 in wanted_instrument_ids()
    finally:
        from marketdata import bus

        bus._subscription_providers.pop("test-extra")


def test_ready_reports_a_silent_feed_without_failing_readiness(client, settings):
    settings.HEALTH_REQUIRED_CHECKS = ["database"]  # the default: the feed is reported, not required
    response = client.get("/health/ready")
    feed = response.json()["checks"]["feed"]
    assert response.status_code == 200
    assert feed["ok"] is False and feed["required"] is False and "no feed" in feed["detail"]


def test_ready_reports_a_fresh_feed_as_ok(client):
    instrument = InstrumentFactory()
    FeedRunner(SimulatedSource(seed=1, ticks_per_second=20), symbols={instrument.id}).run(duration=0.3)
    feed = client.get("/health/ready").json()["checks"]["feed"]
    assert feed["ok"] is True
    assert feed["detail"].startswith("simulated: last tick")


def test_a_feed_silent_for_longer_than_the_limit_fails_its_check(client, settings):
    settings.HEALTH_REQUIRED_CHECKS = ["database", "feed"]
    instrument = InstrumentFactory()
    FeedRunner(SimulatedSource(seed=1, ticks_per_second=20), symbols={instrument.id}).run(duration=0.3)
    settings.QUOTES_STALE_AFTER_SECONDS = 0  # every tick is now too old

    response = client.get("/health/ready")

    assert response.status_code == 503 and response.json()["failed"] == ["feed"]
    assert "silent feed simulated" in response.json()["checks"]["feed"]["detail"]


def test_demo_history_never_ends_in_the_future():
    from marketdata.demo import demo_history_backfill

    instrument = InstrumentFactory()
    now = 1_800_000_050.0  # 50 s into a minute
    demo_history_backfill(session_minutes=5, days=2, now=now)
    assert Quote.objects.get(instrument=instrument).timestamp.timestamp() <= now


def test_a_stored_quote_from_the_future_does_not_freeze_live_ticks():

    instrument = InstrumentFactory()
    future = datetime.now(UTC) + timedelta(minutes=5)
    Quote.objects.create(instrument=instrument, ltp=Decimal("100"), timestamp=future)
    processor = TickProcessor(resume=market_state_load)
    processor.process(Tick(instrument.id, Decimal("101"), time.time(), 1))
    assert processor.quote(instrument.id).ltp == Decimal("101")


@requires_redis()
def test_other_processes_hear_the_feeds_ticks_through_redis(settings):
    """The feed relays its ticks to Redis; a listener elsewhere feeds its own bus from there."""
    import threading

    import redis

    from marketdata.bus import relay_from_redis

    instrument = InstrumentFactory()
    elsewhere = TickBus()
    heard = []
    elsewhere.subscribe(heard.append)
    stop = threading.Event()
    relay = relay_from_redis(redis.Redis.from_url(settings.REDIS_URL), bus=elsewhere, stop=stop)
    try:
        runner = FeedRunner(SimulatedSource(seed=9, ticks_per_second=20), symbols={instrument.id})
        sent = []
        runner.bus.subscribe(sent.append)
        try:
            runner.run(duration=1.0)
        finally:
            runner.bus.unsubscribe(sent.append)
        deadline = time.monotonic() + 5
        while len(heard) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        relay.join(timeout=5)
    assert sent and [(t.instrument_id, t.ltp) for t in heard] == [(t.instrument_id, t.ltp) for t in sent]


def test_run_feed_refuses_unknown_symbols_and_bad_rates():
    from django.core.management import CommandError, call_command

    InstrumentFactory(symbol="SBIN-EQ")
    with pytest.raises(CommandError, match="unknown symbols: NSE:NOPE-EQ"):
        call_command("run_feed", "--symbols", "NSE:SBIN-EQ,NSE:NOPE-EQ", "--duration", "0.1")
    with pytest.raises(CommandError, match="--rate"):
        call_command("run_feed", "--rate", "0", "--duration", "0.1")
    with pytest.raises(CommandError, match="EXCHANGE:SYMBOL"):
        call_command("run_feed", "--symbols", "garbage", "--duration", "0.1")
