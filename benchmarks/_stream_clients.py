"""The live stream benchmark's WebSocket clients: one process, one asyncio event loop, many connections.

    python benchmarks/_stream_clients.py PLAN.json

benchmarks/stream.py writes the plan and starts this script as a process of its own (a
tests.processes.ManagedProcess, pinned to a core), so that the clients' CPU is neither the stream server's
nor the benchmark's. It imports nothing of Django. The plan gives the stream's URL, the mode, and per
connection a JWT, the topics to subscribe to and a label (whose connection it is). Modes:

- `watch`: every connection authenticates and subscribes (at most `ramp` opening at a time); then
  `<out>.ready` says how that went. Each connection reads everything from then on, answers the server's
  pings and sends its own every `ping_seconds` (heartbeats both ways, as the protocol asks). SIGTERM closes
  the connections and writes the results.
- `slow`: one connection that reads for `read_before` s, stops reading for `pause` s (its transport paused:
  what the server sends waits in the sockets, then in the server), reads again for `read_after` s, writes
  the results and exits. Its socket has a small receive buffer and segment size (a slow link), so that the
  kernel holds little and the pause reaches the server's own buffering; it takes no compression, so that
  the bytes on the wire are the frames' own.

Results: `<out>.json` (counts by kind, errors, unexpected closes, the event loop's lag, the order ids each
label heard FILLED; `slow`: every frame and the bytes queued in both sockets) and `<out>.samples`, doubles
in pairs (receive time, the tick's time: the quote's data.timestamp), one pair per quote frame, epoch seconds.
"""

import asyncio
import json
import random
import signal
import socket
import sys
import time
from array import array
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

QUOTE_FRAME = '{"topic":"quotes:'  # protocol.encode: compact JSON, "topic" first
TIMESTAMP = '"timestamp":"'
BATCHED = "trading.v1.batch"  # the subprotocol of batched frames (stream/protocol.py), as the dashboard asks
LAG_STEP = 0.05  # the event loop's lag: how late a sleep of this long wakes up


class Heard:
    """What this process's connections received."""

    def __init__(self) -> None:
        self.samples = array("d")
        self.counts: Counter = Counter()
        self.errors: dict[str, str] = {}
        self.closes: Counter = Counter()
        self.filled: dict[str, set[int]] = defaultdict(set)
        self.lag = array("d")  # pairs: time, seconds late
        self.frames: list[list] = []  # slow mode: receive time, tick time, topic, bytes

    def quote(self, raw: str, now: float) -> float | None:
        """The tick's time of a quote frame, found without parsing the whole frame (the clients' CPU is scarce)."""
        self.counts["quote_frames"] += 1
        start = raw.find(TIMESTAMP)
        if start < 0:
            return None
        start += len(TIMESTAMP)
        tick = datetime.fromisoformat(raw[start : raw.index('"', start)]).timestamp()
        self.samples.extend((now, tick))
        return tick

    def quote_message(self, message: dict, now: float) -> float | None:
        """The tick's time of a quote in a batch (already parsed)."""
        self.counts["quote_frames"] += 1
        stamp = (message.get("data") or {}).get("timestamp")
        if not stamp:
            return None
        tick = datetime.fromisoformat(stamp).timestamp()
        self.samples.extend((now, tick))
        return tick

    def other(self, message: dict, label: str, last_seq: list[int]) -> None:
        op, topic = message.get("op"), message.get("topic")
        if topic is not None:
            self.counts["topic:" + topic.split(":")[0]] += 1
            seq = message.get("seq")
            if seq is not None:
                self.counts["private_duplicates"] += seq <= last_seq[0]
                last_seq[0] = max(last_seq[0], seq)
            data = message.get("data") or {}
            if topic.startswith("orders") and (data.get("change") or {}).get("to") == "FILLED":
                self.filled[label].add(data["id"])
        else:
            key = f"{op}:{message.get('code')}" if op in ("error", "closing") else str(op)
            self.counts["op:" + key] += 1
            if op == "error":
                self.errors.setdefault(key, json.dumps(message)[:300])

    def results(self) -> dict:
        return {
            "counts": dict(self.counts),
            "errors": self.errors,
            "unexpected_closes": dict(self.closes),
            "filled": {label: sorted(ids) for label, ids in self.filled.items()},
            "lag": list(self.lag),
            "frames": self.frames,
        }


async def open_connection(plan: dict, spec: dict, heard: Heard, **options) -> ClientConnection:
    """Connected, authenticated and subscribed; raises RuntimeError when the server refuses."""
    ws = await connect(plan["url"], proxy=None, open_timeout=60, max_size=None, **options)
    try:
        await ws.send(json.dumps({"op": "auth", "token": spec["token"]}))
        await _answer(ws, heard, "authenticated")
        await ws.send(json.dumps({"op": "subscribe", "topics": spec["topics"]}))
        await _answer(ws, heard, "subscribed")
    except BaseException:
        await ws.close()
        raise
    return ws


def parts(raw: str) -> list[tuple[str | None, dict | None]]:
    """The messages of one frame: (the frame itself, None) one at a time, or (None, each message) of a batch
    (the trading.v1.batch subprotocol: a JSON array)."""
    if raw.startswith("["):
        return [(None, message) for message in json.loads(raw)]
    return [(raw, None)]


def is_quote(single: str | None, message: dict | None) -> bool:
    return single.startswith(QUOTE_FRAME) if single is not None else str(message.get("topic", "")).startswith("quotes:")


async def _answer(ws: ClientConnection, heard: Heard, wanted: str) -> dict:
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=60)
        for single, message in parts(raw):
            if is_quote(single, message):
                heard.quote(single, time.time()) if single else heard.quote_message(message, time.time())
                continue
            message = message or json.loads(single)
            if message.get("op") == wanted:
                return message
            if message.get("op") in ("error", "closing"):
                raise RuntimeError(f"refused: {raw[:200]}")


async def listen(ws: ClientConnection, spec: dict, heard: Heard, on_frame=None) -> None:
    """Read until the connection closes; an unexpected close is counted with its code and reason."""
    last_seq = [0]
    try:
        async for raw in ws:
            now = time.time()
            for single, message in parts(raw):
                tick = None
                if is_quote(single, message):
                    tick = heard.quote(single, now) if single else heard.quote_message(message, now)
                else:
                    message = message or json.loads(single)
                    if message.get("op") == "ping":
                        await ws.send('{"op":"pong"}')
                    heard.other(message, spec.get("label", ""), last_seq)
                if on_frame is not None:
                    on_frame(now, tick, single or raw)
    except ConnectionClosed as exc:
        heard.closes[f"{exc.rcvd.code if exc.rcvd else 1006} {exc.rcvd.reason if exc.rcvd else ''}"] += 1


async def heartbeat(ws: ClientConnection, seconds: float) -> None:
    await asyncio.sleep(random.uniform(0, seconds))  # spread over the interval
    while True:
        await ws.send('{"op":"ping"}')
        await asyncio.sleep(seconds)


async def lag_monitor(heard: Heard) -> None:
    while True:
        start = time.perf_counter()
        await asyncio.sleep(LAG_STEP)
        heard.lag.extend((time.time(), time.perf_counter() - start - LAG_STEP))


# --- watch: many connections until SIGTERM ----------------------------------------------------------


async def run_watch(plan: dict, heard: Heard) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    gate = asyncio.Semaphore(plan["ramp"])
    compression = plan.get("compression")
    started = time.monotonic()

    async def one(spec: dict) -> ClientConnection | None:
        async with gate:
            try:
                batched = {"subprotocols": [BATCHED]} if plan.get("batch") else {}
                return await open_connection(plan, spec, heard, compression=compression, **batched)
            except Exception as exc:  # counted: a connection the server refused or dropped while opening
                heard.counts["open_failed"] += 1
                heard.errors.setdefault("open_failed", f"{type(exc).__name__}: {exc}"[:300])
                return None

    opened = await asyncio.gather(*(one(spec) for spec in plan["connections"]))
    connected = [(ws, spec) for ws, spec in zip(opened, plan["connections"], strict=True) if ws is not None]
    extensions = connected[0][0].response.headers.get("Sec-WebSocket-Extensions") if connected else None
    ready = {"connected": len(connected), "open_failed": heard.counts["open_failed"], "errors": heard.errors}
    ready |= {"opening_s": round(time.monotonic() - started, 2), "extensions": extensions}
    Path(plan["out"] + ".ready").write_text(json.dumps(ready))
    tasks = [asyncio.create_task(lag_monitor(heard))]
    for ws, spec in connected:
        tasks.append(asyncio.create_task(listen(ws, spec, heard)))
        tasks.append(asyncio.create_task(heartbeat(ws, plan["ping_seconds"])))
    await stop.wait()
    for task in tasks:
        task.cancel()
    write_results(plan, heard)  # first: the harness kills a process that takes long to stop
    closing = asyncio.gather(*(ws.close() for ws, _ in connected), return_exceptions=True)
    await asyncio.wait_for(closing, timeout=10)


# --- slow: one connection that stops reading for a while --------------------------------------------


def slow_socket(url: str, receive_buffer: int, segment: int) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, segment)  # announced in the SYN: the server's too
    sock.connect((parts.hostname, parts.port))
    sock.setblocking(False)
    return sock


def _topic(raw: str) -> str:
    """An event's topic (protocol.encode writes it first), or "control" for the other messages."""
    return raw[10 : raw.index('"', 10)] if raw.startswith('{"topic":"') else "control"


def queued_bytes(sock: socket.socket) -> dict:
    """Bytes waiting in the kernel: unread in this socket, unsent or unacknowledged in the server's end."""
    mine, server = sock.getsockname()[1], sock.getpeername()[1]
    out = {"client_unread": None, "server_unsent": None}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16)
        tx, rx = (int(v, 16) for v in fields[4].split(":"))
        if (local, remote) == (mine, server):
            out["client_unread"] = rx
        elif (local, remote) == (server, mine):
            out["server_unsent"] = tx
    return out


async def run_slow(plan: dict, heard: Heard) -> dict:
    spec = plan["connections"][0]
    sock = slow_socket(plan["url"], plan["receive_buffer"], plan["segment"])
    # No keepalive pings of the client's own (nobody reads their pongs while paused); no library-side flow
    # control (only the pause below stops the reading).
    ws = await open_connection(plan, spec, heard, sock=sock, compression=None, ping_interval=None, max_queue=None)
    record = lambda now, tick, raw: heard.frames.append([now, tick, _topic(raw), len(raw.encode())])  # noqa: E731
    reader = asyncio.create_task(listen(ws, spec, heard, record))
    await asyncio.sleep(plan["read_before"])
    await ws.send('{"op":"ping"}')  # the server hears from us just before the silence
    ws.transport.pause_reading()
    paused_at = time.time()
    queued = []
    for _ in range(int(plan["pause"])):
        await asyncio.sleep(1)
        queued.append({"t": round(time.time() - paused_at, 1), **queued_bytes(sock)})
    await asyncio.sleep(plan["pause"] - int(plan["pause"]))
    at_resume = queued_bytes(sock)
    resumed_at = time.time()
    ws.transport.resume_reading()
    await asyncio.sleep(plan["read_after"])
    reader.cancel()
    await ws.close()
    return {"paused_at": paused_at, "resumed_at": resumed_at, "queued_at_resume": at_resume, "queued_during": queued}


def write_results(plan: dict, heard: Heard, extra: dict | None = None) -> None:
    with open(plan["out"] + ".samples", "wb") as samples:
        heard.samples.tofile(samples)
    Path(plan["out"] + ".json").write_text(json.dumps({**heard.results(), **(extra or {})}))


async def main(plan: dict) -> None:
    heard = Heard()
    if plan["mode"] == "slow":
        write_results(plan, heard, await run_slow(plan, heard))
    else:
        await run_watch(plan, heard)


if __name__ == "__main__":
    asyncio.run(main(json.loads(Path(sys.argv[1]).read_text())))
