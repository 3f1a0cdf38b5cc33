"""Live ticks over WebSocket 2.0 and the order-update stream, against the fake on loopback."""

import time
from decimal import Decimal

import pytest
from django.core.management import call_command

from brokers.angelone import packets
from brokers.angelone.adapter import AngelOneBroker
from brokers.angelone.feed import AngelOneFeedSource, angelone_feed_source
from brokers.angelone.order_stream import OrderUpdateStream
from brokers.base import BrokerStatus
from marketdata.models import Instrument
from tests.fakes.angelone.ticks import encode

from .test_angelone_adapter import instruments, order  # noqa: F401 - fixture

# The feed and stream run in threads with their own database connections: they must see committed rows.
threads_see_the_rows = pytest.mark.django_db(transaction=True)


def wait_for(predicate, timeout=8.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# --- Binary packets ------------------------------------------------------------------------------


def test_an_ltp_packet_is_parsed():
    packet = packets.parse(encode(1, 1, "3045", "801.25", sequence=7, exchange_ms=1_700_000_000_123))

    assert (packet.mode, packet.exchange, packet.token, packet.sequence) == (1, "NSE", "3045", 7)
    assert (packet.exchange_time_ms, packet.ltp) == (1_700_000_000_123, Decimal("801.25"))
    assert packet.bid is None and packet.volume == 0


def test_a_quote_packet_is_parsed():
    data = encode(2, 2, "35001", "26050.50", last_qty=75, volume=123450, ohlc=("26000", "26100.5", "25990", "26010"))

    packet = packets.parse(data)

    assert len(data) == 123
    assert (packet.last_quantity, packet.volume) == (75, 123450)
    assert (packet.open, packet.high, packet.low, packet.close) == (
        Decimal("26000.00"),
        Decimal("26100.50"),
        Decimal("25990.00"),
        Decimal("26010.00"),
    )


def test_a_snap_quote_packet_is_parsed_with_depth_and_circuits():
    bids = [(Decimal("800.95") - Decimal("0.05") * i, 100 + i, 3) for i in range(5)]
    asks = [(Decimal("801.05") + Decimal("0.05") * i, 200 + i, 4) for i in range(5)]
    data = encode(
        3,
        1,
        "3045",
        "801",
        last_qty=5,
        bids=bids,
        asks=asks,
        circuits=("880.5", "720.45", "900", "600"),
        open_interest=42,
    )

    packet = packets.parse(data)

    assert len(data) == 379
    assert (packet.bid, packet.ask) == (Decimal("800.95"), Decimal("801.05"))
    assert packet.bids[4] == (Decimal("800.75"), 104, 3) and len(packet.asks) == 5
    assert (packet.upper_circuit, packet.lower_circuit) == (Decimal("880.50"), Decimal("720.45"))
    assert (packet.high_52w, packet.low_52w, packet.open_interest) == (Decimal("900"), Decimal("600"), 42)
    assert packet.total_buy_quantity == sum(q for _, q, _ in bids)


def test_currency_derivative_prices_are_in_ten_millionths():
    assert packets.parse(encode(1, 13, "1", "84.1225")).ltp == Decimal("84.1225")


@pytest.mark.parametrize("data", [b"", b"\x01" * 50, encode(2, 1, "3045", "1")[:100], bytes([9]) + b"\x00" * 60])
def test_short_or_unknown_packets_are_refused(data):
    with pytest.raises(packets.PacketError):
        packets.parse(data)


# --- The WebSocket 2.0 feed ------------------------------------------------------------------------


@pytest.fixture
def feed(live_account, instruments, settings):  # noqa: F811
    settings.ANGELONE_WS_PING_SECONDS = 0.3
    source = angelone_feed_source({})
    yield source
    source.close()


def subscribed_at_fake(fake) -> set:
    return {tuple(s[:2]) for c in fake.admin("GET", "sockets")["feed"] for s in c["subscriptions"]}


@threads_see_the_rows
def test_ticks_from_the_feed_reach_the_tick_pipeline(feed, fake, instruments):  # noqa: F811
    feed.subscribe({instruments["SBIN-EQ"].id, instruments["INFY-EQ"].id})
    wait_for(lambda: subscribed_at_fake(fake) == {(1, "3045"), (1, "1594")}, what="subscriptions")

    fake.admin(
        "POST",
        "tick",
        {
            "exchange": "NSE",
            "token": "3045",
            "ltp": "802.35",
            "last_qty": 9,
            "bids": [["802.30", 10, 1]],
            "asks": [["802.40", 12, 2]],
        },
    )
    [tick] = wait_for(lambda: feed.next_ticks(time.time()), what="a tick")

    assert (tick.instrument_id, tick.ltp, tick.qty) == (instruments["SBIN-EQ"].id, Decimal("802.35"), 9)
    assert (tick.bid, tick.ask) == (Decimal("802.30"), Decimal("802.40"))
    wait_for(lambda: fake.state.pings > 0, what="a heartbeat ping")


@threads_see_the_rows
def test_subscriptions_are_split_over_at_most_three_connections(feed, fake, settings):
    settings.ANGELONE_WS_TOKENS_PER_CONNECTION = 2
    extra = [
        Instrument.objects.create(
            exchange="NSE", token=str(80000 + n), symbol=f"Y{n}-EQ", name=f"Y{n}", lot_size=1, tick_size=Decimal("0.05")
        )
        for n in range(6)
    ]

    feed.subscribe({i.id for i in extra})

    sockets = wait_for(
        lambda: len(fake.admin("GET", "sockets")["feed"]) == 3 and fake.admin("GET", "sockets"),
        what="three connections",
    )
    assert sorted(len(c["subscriptions"]) for c in sockets["feed"]) == [2, 2, 2]


@threads_see_the_rows
def test_the_feed_reconnects_and_subscribes_again_after_a_drop(feed, fake, instruments):  # noqa: F811
    feed.subscribe({instruments["SBIN-EQ"].id})
    wait_for(lambda: subscribed_at_fake(fake) == {(1, "3045")}, what="subscription")

    fake.admin("POST", "ws/drop")
    wait_for(lambda: feed.connections[0].connects >= 2, what="a reconnect")
    wait_for(lambda: subscribed_at_fake(fake) == {(1, "3045")}, what="the subscription again")
    fake.admin("POST", "tick", {"exchange": "NSE", "token": "3045", "ltp": "799.10"})

    ticks = wait_for(lambda: feed.next_ticks(time.time()), what="a tick after the reconnect")
    assert ticks[-1].ltp == Decimal("799.10")


@threads_see_the_rows
def test_unsubscribed_instruments_stop_ticking(feed, fake, instruments):  # noqa: F811
    feed.subscribe({instruments["SBIN-EQ"].id, instruments["INFY-EQ"].id})
    wait_for(lambda: len(subscribed_at_fake(fake)) == 2, what="subscriptions")

    feed.subscribe({instruments["INFY-EQ"].id})

    wait_for(lambda: subscribed_at_fake(fake) == {(1, "1594")}, what="the unsubscription")


def test_the_feed_source_is_registered_for_run_feed():
    from marketdata.sources import feed_source_names

    assert "angelone" in feed_source_names()
    assert AngelOneFeedSource.name == "angelone"


# --- The order-update stream -------------------------------------------------------------------------


@threads_see_the_rows
def test_order_updates_arrive_on_the_bus_including_a_late_rejection_and_survive_a_drop(live_account, fake):
    updates = []
    broker = AngelOneBroker(live_account.account)
    broker.profile()
    stream = OrderUpdateStream(live_account, publish=updates.append)
    stream.start()
    try:
        wait_for(lambda: fake.admin("GET", "sockets")["orders"] == 1, what="the stream to connect")
        fake.faults(late_reject_next=1, late_reject_after=0.2)
        placed = broker.place_order(order(tag="T401"))
        rejected = wait_for(
            lambda: [u for u in updates if u.order.status == BrokerStatus.REJECTED], what="the rejection"
        )
        assert rejected[0].account_id == live_account.account_id
        assert (rejected[0].order.tag, rejected[0].order.broker_order_id) == ("T401", placed.broker_order_id)
        assert "Margin Exceeds" in rejected[0].order.message

        fake.admin("POST", "ws/drop")
        wait_for(lambda: stream.connects >= 2, what="a reconnect")
        filled = broker.place_order(order(tag="T402"))
        complete = wait_for(
            lambda: [u for u in updates if u.order.tag == "T402" and u.order.status == BrokerStatus.COMPLETE],
            what="the fill",
        )
        assert complete[-1].trades and complete[-1].trades[0].broker_order_id == filled.broker_order_id
    finally:
        stream.stop()
        stream.join(timeout=5)


# --- The scrip master --------------------------------------------------------------------------------


def test_import_instruments_reads_the_fakes_scrip_master_over_http(db, fake):
    call_command("import_instruments", f"{fake.url}/OpenAPI_File/files/OpenAPIScripMaster.json")

    sbin = Instrument.objects.get(exchange="NSE", symbol="SBIN-EQ")
    assert (sbin.token, sbin.tick_size) == ("3045", Decimal("0.05"))
    assert Instrument.objects.get(exchange="NFO", symbol="NIFTY29DEC26FUT").lot_size == 75
    assert Instrument.objects.count() == 7


@threads_see_the_rows
def test_run_feed_with_the_angelone_source_turns_live_ticks_into_quotes(live_account, fake, instruments):  # noqa: F811
    from marketdata.models import Quote
    from tests.processes import FeedProcess

    AngelOneBroker(live_account.account).profile()  # the feed process reuses the stored session
    env = {"ANGELONE_ROOT_URL": fake.url, "ANGELONE_FEED_WS_URL": fake.ws_url("smart-stream")}
    feed = FeedProcess("--source", "angelone", "--symbols", "NSE:SBIN-EQ", env=env)
    feed.start()
    try:
        wait_for(lambda: subscribed_at_fake(fake) == {(1, "3045")}, timeout=20, what="the feed's subscription")

        def quoted():
            fake.admin("POST", "tick", {"exchange": "NSE", "token": "3045", "ltp": "803.15"})
            return Quote.objects.filter(instrument=instruments["SBIN-EQ"], ltp=Decimal("803.15")).exists()

        wait_for(quoted, timeout=10, what="a quote from the live tick")
    finally:
        feed.stop()
    assert fake.state.logins == 1


@threads_see_the_rows
def test_run_order_updates_streams_for_each_connected_live_account(live_account, fake):
    import subprocess
    import sys

    from tests import processes

    env = {
        **__import__("os").environ,
        "DATABASE_URL": processes.test_database_url(),
        "ANGELONE_ROOT_URL": fake.url,
        "ANGELONE_ORDER_WS_URL": fake.ws_url("smart-order-update"),
    }
    command = [sys.executable, "manage.py", "run_order_updates", "--refresh", "0.5", "--duration", "20"]
    proc = subprocess.Popen(command, cwd=processes.ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: fake.admin("GET", "sockets")["orders"] == 1, timeout=15, what="the order stream")
    finally:
        proc.terminate()
        output = proc.communicate(timeout=15)[0]
    assert "streaming for A123456" in output
