"""Health checks. Apps register theirs in AppConfig.ready; this module imports none of them."""

import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import connection

# A check returns None (or a dict of details) when healthy and raises when not.
Check = Callable[[], dict[str, Any] | None]
_checks: dict[str, tuple[Check, bool]] = {}


def register_check(name: str, check: Check, *, critical: bool = True) -> None:
    """A critical check failing makes /health/ready answer 503; a non-critical one only reports."""
    _checks[name] = (check, critical)


def registered_checks() -> list[str]:
    return list(_checks)


def run_checks() -> tuple[bool, dict[str, dict[str, Any]]]:
    """(all critical checks ok, one result per check)."""
    results: dict[str, dict[str, Any]] = {}
    for name, (check, critical) in _checks.items():
        started = time.perf_counter()
        try:
            details = check() or {}
            results[name] = {"ok": True, **details}
        except Exception as exc:  # a failing dependency is the answer, not an error
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        results[name]["critical"] = critical
        results[name]["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return all(r["ok"] for r in results.values() if r["critical"]), results


def database_check() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def cache_check() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)
