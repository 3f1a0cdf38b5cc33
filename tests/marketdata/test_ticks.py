"""The tick processor: live quotes and candles from ticks, in memory."""

from datetime import UTC, datetime
from decimal import Decimal as D

from marketdata.bus import Tick
from marketdata.intervals import bucket_start
from marketdata.ticks import LiveQuote, TickProcessor


def ts(text: str) -> float:
    """An IST wall-clock time as epoch seconds."""
    return datetime.fromisoformat(text + "+05:30").timestamp()


def utc(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M")


def test_minute_buckets_align_to_the_clock():
    assert utc(bucket_start(int(ts("2026-11-24T09:16:59")), "1m")) == "2026-11-24 03:46"
    assert utc(bucket_start(int(ts("2026-11-24T09:19:59")), "5m")) == "2026-11-24 03:45"
    assert utc(bucket_start(int(ts("2026-11-24T09:44:00")), "15m")) == "2026-11-24 04:00"  # 09:30 IST


def test_hour_buckets_start_at_quarter_past_in_ist_like_the_session():
    assert utc(bucket_start(int(ts("2026-11-24T09:15:00")), "1h")) == "2026-11-24 03:45"  # 09:15 IST
    assert utc(bucket_start(int(ts("2026-11-24T10:14:59")), "1h")) == "2026-11-24 03:45"
    assert utc(bucket_start(int(ts("2026-11-24T10:15:00")), "1h")) == "2026-11-24 04:45"  # 10:15 IST


def test_day_buckets_start_at_ist_midnight():
    assert utc(bucket_start(int(ts("2026-11-24T00:00:00")), "1d")) == "2026-11-23 18:30"
    assert utc(bucket_start(int(ts("2026-11-24T23:59:59")), "1d")) == "2026-11-23 18:30"


def test_a_quote_tracks_last_price_session_range_volume_and_spread():
    p = TickProcessor()
    p.process(Tick(1, D("100.00"), ts("2026-11-24T09:15:01"), 5, D("99.95"), D("100.05")))
    p.process(Tick(1, D("101.50"), ts("2026-11-24T09:15:02"), 7))
    p.process(Tick(1, D("99.10"), ts("2026-11-24T09:15:03"), 3, D("99.05"), D("99.15")))
    q = p.quote(1)
    assert (q.ltp, q.open, q.high, q.low, q.volume) == (D("99.10"), D("100.00"), D("101.50"), D("99.10"), 15)
    assert (q.bid, q.ask) == (D("99.05"), D("99.15"))


def test_a_new_ist_day_makes_yesterdays_last_price_the_reference_close():
    p = TickProcessor()
    p.process(Tick(1, D("100"), ts("2026-11-23T15:29:00"), 1))
    p.process(Tick(1, D("104"), ts("2026-11-23T15:29:59"), 1))
    p.process(Tick(1, D("106"), ts("2026-11-24T09:15:00"), 2))
    q = p.quote(1)
    assert q.close == D("104")
    assert (q.open, q.high, q.low, q.volume) == (D("106"), D("106"), D("106"), 2)


def test_a_late_tick_does_not_move_the_price_back_in_time():
    p = TickProcessor()
    p.process(Tick(1, D("100"), ts("2026-11-24T09:15:05"), 1))
    p.process(Tick(1, D("90"), ts("2026-11-24T09:15:01"), 1))
    assert p.quote(1).ltp == D("100")
    assert p.ticks == 1


def test_candles_aggregate_ohlcv_and_roll_at_the_boundary():
    p = TickProcessor()
    for second, price, qty in [(0, "100", 1), (10, "103", 2), (20, "98", 3), (59, "101", 4)]:
        p.process(Tick(1, D(price), ts(f"2026-11-24T09:15:{second:02d}"), qty))
    p.process(Tick(1, D("102"), ts("2026-11-24T09:16:00"), 5))
    _, candles = p.drain()
    minute = {(c.interval, utc(c.start)): c for c in candles}
    first = minute[("1m", "2026-11-24 03:45")]
    assert (first.open, first.high, first.low, first.close, first.volume) == (D("100"), D("103"), D("98"), D("101"), 10)
    second = minute[("1m", "2026-11-24 03:46")]
    assert (second.open, second.close, second.volume) == (D("102"), D("102"), 5)
    five = minute[("5m", "2026-11-24 03:45")]
    assert (five.open, five.high, five.low, five.close, five.volume) == (D("100"), D("103"), D("98"), D("102"), 15)


def test_drain_reports_only_what_changed_since_the_last_drain():
    p = TickProcessor()
    p.process(Tick(1, D("100"), ts("2026-11-24T09:15:00"), 1))
    p.process(Tick(2, D("50"), ts("2026-11-24T09:15:00"), 1))
    quotes, candles = p.drain()
    assert {q.instrument_id for q in quotes} == {1, 2}
    assert len(candles) == 10  # five intervals each
    assert p.drain() == ([], [])
    p.process(Tick(2, D("51"), ts("2026-11-24T09:15:01"), 1))
    quotes, candles = p.drain()
    assert [q.instrument_id for q in quotes] == [2]
    assert {c.instrument_id for c in candles} == {2}


def test_it_resumes_from_persisted_state_on_first_sight():
    def resume(instrument_id):
        quote = LiveQuote(instrument_id)
        quote.close = D("95")
        return quote, {}

    p = TickProcessor(resume=resume)
    p.process(Tick(7, D("100"), ts("2026-11-24T09:15:00"), 1))
    assert p.quote(7).close == D("95")
