"""docs/examples/stream_client.py, the integrator's example, receives a fill from a live stream server."""

import importlib.util
import threading
from pathlib import Path

import pytest

from accounts.services import api_key_create
from orders import services
from tests.orders.conftest import market, params, trader  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "stream_client.py"


def load_example(monkeypatch, url: str, key: str):
    monkeypatch.setenv("TRADING_STREAM", url)
    monkeypatch.setenv("TRADING_API_KEY", key)
    spec = importlib.util.spec_from_file_location("stream_client_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_documented_client_prints_a_fill(stream_server, market, trader, monkeypatch, capsys):  # noqa: F811
    monkeypatch.setattr("orders.services.dispatch.enqueue", lambda *args: None)  # this test is the worker
    _, key = api_key_create(user=trader, name="script", scopes=["read"])
    server = stream_server()
    example = load_example(monkeypatch, server.url, key)
    heard: list[dict] = []
    subscribed = threading.Event()

    def on_event(message: dict) -> None:
        heard.append(message)
        example.show(message)
        subscribed.set()

    client = threading.Thread(target=example.follow, args=(on_event,), kwargs={"stop_after": 4}, daemon=True)
    client.start()
    assert subscribed.wait(10), "the example never heard the quote it subscribed to"

    order, _ = services.order_place(user=trader, instrument=market["SBIN-EQ"], params=params(quantity=3))
    services.order_submit(order_id=order.id)
    client.join(15)

    orders = [m["data"] for m in heard if m["topic"] == "orders"]
    assert [o["status"] for o in orders] == ["NEW", "SUBMITTED", "FILLED"]
    assert orders[-1]["filled_quantity"] == 3
    assert f"order {order.id} BUY SBIN-EQ: FILLED (3/3 filled at" in capsys.readouterr().out
