"""Load generation over keep-alive connections: closed loop (throughput) and open loop (latency at a rate).

Clients are tests.processes.KeepAliveClient, one thread each, in the
benchmark's own process. STOP is set on the way out (Ctrl-C, SIGTERM, an
error) so that no thread sends a new request while the servers stop.
"""

import itertools
import json
import threading
import time
from collections import Counter

from tests.processes import KeepAliveClient, Reply

STOP = threading.Event()


class Result:
    """What one block of requests returned."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.elapsed: list[float] = []  # seconds, successful requests
        self.codes: Counter = Counter()
        self.samples: dict[int, str] = {}  # one body per unexpected status
        self.sent: dict[int, float] = {}  # created id -> send wall time (parse_id)
        self.lateness: list[float] = []  # open loop only
        self.send_times: list[float] = []  # open loop only
        self.wall = 0.0
        self.drain: float | None = None  # orders blocks: seconds until the worker had filled them all
        self.lock = threading.Lock()

    def record(self, reply: Reply, parse_id: bool, ok: int = 201) -> None:
        with self.lock:
            self.codes[reply.status] += 1
            if reply.status == ok:
                self.elapsed.append(reply.seconds)
                if parse_id:
                    self.sent[json.loads(reply.body)["id"]] = reply.sent_at
            elif reply.status not in self.samples:
                self.samples[reply.status] = reply.body[:300].decode(errors="replace")

    @property
    def ok(self) -> int:
        return self.codes.get(201, 0)

    @property
    def per_s(self) -> float:
        return self.ok / self.wall if self.wall else 0.0

    def non_201(self) -> dict:
        return {str(code): n for code, n in sorted(self.codes.items()) if code != 201}

    def achieved_rate(self) -> float | None:
        times = self.send_times
        return round((len(times) - 1) / (max(times) - min(times)), 2) if len(times) > 1 else None


def _run_threads(target, items) -> None:
    threads = [threading.Thread(target=target, args=(item,), daemon=True) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def closed_loop(clients: list[KeepAliveClient], path: str, bodies: list[bytes], n: int, parse_id: bool) -> Result:
    """n POSTs, each client sending its next one as soon as its previous answer is read."""
    result = Result(n)
    counter = itertools.count()
    barrier = threading.Barrier(len(clients) + 1)

    def work(client: KeepAliveClient) -> None:
        barrier.wait()
        while not STOP.is_set() and (i := next(counter)) < n:
            result.record(client.request("POST", path, bodies[i % len(bodies)]), parse_id)

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    result.wall = time.perf_counter() - start
    return result


def open_loop(
    senders: list[KeepAliveClient],
    users: list[KeepAliveClient],
    path: str,
    bodies: list[bytes],
    rate: float,
    duration: float,
) -> Result:
    """POST i is due at start + i/rate, as user i % K (their token), on whichever sender connection is free.

    Each sender thread takes the next number, sleeps until it is due and sends:
    with enough connections the schedule never waits for answers; a send is
    late only when every connection has a request in flight (`lateness`).
    """
    total = int(rate * duration)
    result = Result(total)
    start = time.perf_counter() + 0.2
    counter = itertools.count()

    def work(sender: KeepAliveClient) -> None:
        while not STOP.is_set() and (i := next(counter)) < total:
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0 and STOP.wait(delay):
                return
            late = time.perf_counter() - due
            reply = sender.request("POST", path, bodies[i % len(bodies)], users[i % len(users)].headers)
            with result.lock:
                result.lateness.append(max(0.0, late))
                result.send_times.append(reply.sent_at)
            result.record(reply, True)

    _run_threads(work, senders)
    result.wall = time.perf_counter() - start
    return result
