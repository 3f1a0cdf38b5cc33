"""The product's WSGI app under cProfile, for `benchmarks/quotes.py --profile DIR` only.

Requests are sorted into kinds (floor, first read of a symbol set = cold
quotes, repeated read = warm quotes, other) and each kind accumulates into its
own profiler; when the worker exits, `<kind>.prof` files (pstats) and a
summary of in-server wall time per kind are written to BENCH_PROFILE_DIR.
Profiling inflates every time it measures: use it to see where time goes,
not how much there is.
"""

import atexit
import cProfile
import json
import os
import time
from pathlib import Path

from trading.wsgi import application as product_application

PROFILE_DIR = Path(os.environ["BENCH_PROFILE_DIR"])
_profiles: dict[str, cProfile.Profile] = {}
_wall: dict[str, list[float]] = {}
_seen_queries: set[str] = set()


def _kind(environ) -> str:
    path = environ.get("PATH_INFO", "")
    if path == "/bench/floor/":
        return "floor"
    if path == "/api/v1/quotes/":
        query = environ.get("QUERY_STRING", "")
        if query in _seen_queries:
            return "quotes_warm"
        _seen_queries.add(query)
        return "quotes_cold"
    return "other"


def application(environ, start_response):
    kind = _kind(environ)
    profile = _profiles.setdefault(kind, cProfile.Profile())
    start = time.perf_counter()
    profile.enable()
    try:
        # The body is consumed inside the profiled region: Django renders eagerly anyway.
        return list(product_application(environ, start_response))
    finally:
        profile.disable()
        _wall.setdefault(kind, []).append(time.perf_counter() - start)


@atexit.register
def _dump() -> None:
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    for kind, profile in _profiles.items():
        profile.dump_stats(PROFILE_DIR / f"{kind}.prof")
    summary = {
        kind: {"requests": len(times), "mean_ms_under_profiler": round(sum(times) / len(times) * 1000, 3)}
        for kind, times in _wall.items()
    }
    (PROFILE_DIR / "summary.json").write_text(json.dumps(summary, indent=2))
