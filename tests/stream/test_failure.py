"""When things go wrong: Redis stops and comes back; a client reads slowly."""

import asyncio
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from stream.consumer import StreamConsumer
from tests.accounts.factories import UserFactory
from tests.conftest import requires_redis
from tests.orders.conftest import market, set_quote  # noqa: F401 - fixture
from tests.processes import free_port, redis_server

from .conftest import access_token


@requires_redis()
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs the redis-server program")
def test_without_redis_the_stream_says_degraded_keeps_quotes_coming_and_recovers(
    stream_server,
    ws_client,
    market,  # noqa: F811
):
    port = free_port()
    redis = redis_server(port).start()
    server = stream_server(REDIS_URL=f"redis://127.0.0.1:{port}/0")
    server.allow_problems = True  # it logs that Redis went away
    client = ws_client(server)
    client.auth(access_token(UserFactory()))
    client.subscribe("quotes:NSE:SBIN-EQ")
    client.until(lambda m: m.get("topic") == "quotes:NSE:SBIN-EQ", what="the current quote")
    try:
        redis.stop()
        assert client.until(lambda m: "op" in m and m["op"] != "ping", what="degraded") == {"op": "degraded"}
        set_quote("NSE", "SBIN-EQ", "805.50")
        moved = client.until(lambda m: m.get("topic") == "quotes:NSE:SBIN-EQ", what="a quote from the database")
        assert moved["data"]["ltp"] == "805.50"

        redis = redis_server(port).start()
        assert client.until(lambda m: "op" in m and m["op"] != "ping", what="recovered") == {"op": "recovered"}
    finally:
        redis.stop()


class SlowSocket(StreamConsumer):
    """A consumer whose socket takes nothing until the test lets it: what a client that stopped reading does."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []
        self.released = asyncio.Event()

    async def send(self, text_data=None, bytes_data=None, close=False) -> None:
        await self.released.wait()
        self.sent.append(text_data)


def test_a_slow_client_gets_the_newest_quote_of_each_topic_not_a_backlog(settings):
    settings.STREAM_PING_SECONDS = 60

    async def scenario() -> list[str]:
        consumer = SlowSocket()
        writer = asyncio.create_task(consumer._write())
        consumer.offer("quotes:NSE:A", "a0")
        await asyncio.sleep(0.01)  # the writer took a0 and is stuck sending it
        for i in range(1, 1001):
            consumer.offer("quotes:NSE:A", f"a{i}")
            consumer.offer("quotes:NSE:B", f"b{i}")
        consumer.push("an order's event")
        consumer.released.set()
        await asyncio.sleep(0.05)
        writer.cancel()
        return consumer.sent

    # Private events first, in order; then the newest frame of each topic, whatever came between.
    # In a thread of its own: the browser tests leave an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        sent = thread.submit(asyncio.run, scenario()).result(timeout=10)
    assert sent == ["a0", "an order's event", "a1000", "b1000"]
