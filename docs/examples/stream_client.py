"""Print your fills as they happen: a client of the platform's live stream (docs/api.md#the-live-stream).

    pip install websockets
    TRADING_STREAM=ws://127.0.0.1:8001/ws/v1/stream/ TRADING_API_KEY=tpk_... python stream_client.py

It authenticates with an API key (a JWT access token works the same), follows a quote and your orders, and
resumes where it left off after a dropped connection. Stop it with Ctrl-C.
"""

import json
import os
import time

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

URL = os.environ.get("TRADING_STREAM", "ws://127.0.0.1:8001/ws/v1/stream/")
TOKEN = os.environ["TRADING_API_KEY"]
SYMBOL = os.environ.get("TRADING_SYMBOL", "NSE:SBIN-EQ")


def follow(on_event, *, stop_after: int | None = None) -> None:
    """Call `on_event(message)` for every event; reconnect and resume on a dropped connection."""
    last_seq = None
    heard = 0
    while stop_after is None or heard < stop_after:
        try:
            with connect(URL) as ws:
                ws.send(json.dumps({"op": "auth", "token": TOKEN}))
                hello = json.loads(ws.recv())
                if hello.get("op") != "authenticated":
                    raise SystemExit(f"refused: {hello}")
                subscribe = {"op": "subscribe", "topics": [f"quotes:{SYMBOL}", "orders"]}
                if last_seq is not None:
                    subscribe["resume_from"] = last_seq  # what we missed while away comes first
                ws.send(json.dumps(subscribe))
                for raw in ws:
                    message = json.loads(raw)
                    if message.get("op") == "ping":
                        ws.send(json.dumps({"op": "pong"}))
                    elif message.get("op") == "resync":
                        last_seq = None  # too much missed: reload the order book over the REST API
                    elif "topic" in message:
                        last_seq = message.get("seq", last_seq)
                        on_event(message)
                        heard += 1
                        if stop_after is not None and heard >= stop_after:
                            return
        except (ConnectionClosed, OSError) as exc:
            print(f"connection lost ({exc}); reconnecting")
            time.sleep(1)


def show(message: dict) -> None:
    data = message["data"]
    if message["topic"] == "orders":
        print(
            f"#{message['seq']} order {data['id']} {data['side']} {data['symbol']}: {data['status']}"
            f" ({data['filled_quantity']}/{data['quantity']} filled at {data['average_price']})"
        )
    else:
        print(f"{data['symbol']} {data['ltp']} ({data['change_percent']}%)")


if __name__ == "__main__":
    follow(show)
