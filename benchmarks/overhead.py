"""What the monitoring middleware costs a request: throughput with request ids and HTTP metrics on vs off.

Target: at most 10% fewer requests per second with them on (median of the rounds).

Two web servers run side by side, each the Procfile's (gunicorn, one gthread
worker) with DEBUG off, on one scratch database: "on" with the product's
settings, "off" with benchmarks/_bare_settings.py, which only drops
RequestIdMiddleware and RequestMetricsMiddleware. One client sends
back-to-back authenticated GET /api/v1/me/ (a JWT; one user row read, a small
JSON body) over one keep-alive connection, `--requests` per round; rounds
alternate on/off (the first of each pair alternating too), `--rounds` of each.
Rounds are short (a tenth of a second or so) because the machine is shared:
the load others put on it changes within seconds, and short alternating
rounds let both sides see the same load. The overhead is the median over the pairs of
(off - on) / off: on a shared machine neighbouring rounds see the same load,
distant ones do not. The medians of each side are reported too, and, as a
check, the two middlewares' own cost per call measured in this process.

    .venv/bin/python benchmarks/overhead.py [--rounds 100] [--requests 25]
"""

import argparse
import logging
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repo root, not benchmarks/

from benchmarks._common import Scratch, machine_info, progress, run  # noqa: E402

TARGET_OVERHEAD_PCT = 10.0
PATH = "/api/v1/me/"


def _args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100, help="rounds of each variant (at least 3)")
    parser.add_argument("--requests", type=int, default=25, help="requests in one round")
    parser.add_argument("--warmup", type=int, default=300, help="requests per server before timing")
    args = parser.parse_args()
    args.rounds = max(3, args.rounds)
    return args


def _token() -> str:
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User

    user = User.objects.create_user(username="bench-overhead", password=secrets.token_urlsafe(18))
    return str(RefreshToken.for_user(user).access_token)


def _servers() -> dict:
    from tests.processes import WebServer

    env = {"API_RATE_LIMIT": "1000000/s", "JWT_ACCESS_MINUTES": "60"}
    servers = {
        "on": WebServer(env={**env, "DJANGO_SETTINGS_MODULE": "trading.settings"}),
        "off": WebServer(env={**env, "DJANGO_SETTINGS_MODULE": "benchmarks._bare_settings"}),
    }
    for name, server in servers.items():
        progress(f"starting the {name!r} web server")
        server.start()
    return servers


def _round(client, url: str, requests: int) -> float:
    """Requests per second, `requests` of them back to back."""
    started = time.perf_counter()
    for _ in range(requests):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:200]}")
    return requests / (time.perf_counter() - started)


def _has_request_id(client, url: str) -> bool:
    return "X-Request-ID" in client.get(url).headers


def _middleware_us(calls: int = 20_000) -> float:
    """Microseconds the two middlewares add to one call of a view that does nothing (this process)."""
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from monitoring.http_metrics import RequestMetricsMiddleware
    from monitoring.tracing import RequestIdMiddleware

    request, response = RequestFactory().get(PATH), HttpResponse(b"{}")
    request.resolver_match = resolve(PATH)
    stack = RequestIdMiddleware(RequestMetricsMiddleware(lambda r: response))
    started = time.perf_counter()
    for _ in range(calls):
        stack(request)
    return (time.perf_counter() - started) / calls * 1e6


def _measure(args, servers, token: str) -> dict[str, list[float]]:
    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)  # a log line per request would time the client
    headers = {"Authorization": f"Bearer {token}"}
    clients = {name: httpx.Client(base_url=s.url, headers=headers, timeout=10) for name, s in servers.items()}
    if not _has_request_id(clients["on"], PATH) or _has_request_id(clients["off"], PATH):
        raise RuntimeError("the servers do not differ as intended (X-Request-ID on 'on' only)")
    for name, client in clients.items():
        progress(f"warming up {name!r} ({args.warmup} requests)")
        for _ in range(args.warmup):
            client.get(PATH)
    rates: dict[str, list[float]] = {"on": [], "off": []}
    for i in range(args.rounds):
        order = ("on", "off") if i % 2 == 0 else ("off", "on")
        for name in order:
            rates[name].append(_round(clients[name], PATH, args.requests))
        if (i + 1) % 10 == 0:
            progress(f"round {i + 1}/{args.rounds}: on {rates['on'][-1]:.0f}/s, off {rates['off'][-1]:.0f}/s")
    for client in clients.values():
        client.close()
    return rates


def main() -> tuple[dict, bool, str]:
    args = _args()
    with Scratch("overhead") as scratch:
        token = _token()
        servers = _servers()
        try:
            rates = _measure(args, servers, token)
        finally:
            for server in servers.values():
                server.stop()
        backend = scratch.backend_info()
        middleware_us = _middleware_us()
    on, off = statistics.median(rates["on"]), statistics.median(rates["off"])
    overhead = statistics.median((b - a) / b * 100 for a, b in zip(rates["on"], rates["off"], strict=True))
    figures = {
        "endpoint": f"GET {PATH}",
        "rounds_each": args.rounds,
        "requests_per_round": args.requests,
        "requests_per_second": {"on": [round(r, 1) for r in rates["on"]], "off": [round(r, 1) for r in rates["off"]]},
        "median_rps_on": round(on, 1),
        "median_rps_off": round(off, 1),
        "median_ms_on": round(1000 / on, 3),
        "median_ms_off": round(1000 / off, 3),
        "overhead_pct": round(overhead, 2),
        "overhead_of_medians_pct": round((off - on) / off * 100, 2),
        "middleware_us_per_request": round(middleware_us, 2),
        "target_overhead_pct": TARGET_OVERHEAD_PCT,
        "backend": backend,
        "machine": machine_info(),
    }
    summary = (
        f"{on:.0f} req/s with request ids + metrics vs {off:.0f} without: {overhead:+.1f}% (paired median; "
        f"target <= {TARGET_OVERHEAD_PCT:.0f}%); the middlewares cost {middleware_us:.1f} us a call"
    )
    return figures, overhead <= TARGET_OVERHEAD_PCT, summary


if __name__ == "__main__":
    run("overhead", main)
