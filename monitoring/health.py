"""Health checks. Apps register theirs in AppConfig.ready; this module imports none of them.

A check is a function that returns a short detail string (or None) when the
dependency is healthy and raises when it is not. Which checks are *required*
(their failure makes /health/ready answer 503) is the setting
HEALTH_REQUIRED_CHECKS; the others are reported only. Every check bounds its
own wait (socket and connect timeouts), so a dependency that is down answers
within about a second instead of hanging the endpoint.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection

Check = Callable[[], str | None]
_checks: dict[str, Check] = {}


@dataclass(frozen=True, slots=True)
class CheckResult:
    ok: bool
    ms: float
    detail: str
    required: bool

    def as_dict(self) -> dict:
        return {"ok": self.ok, "ms": self.ms, "detail": self.detail, "required": self.required}


def register_check(name: str, check: Check) -> None:
    _checks[name] = check


def registered_checks() -> list[str]:
    return list(_checks)


def required_checks() -> set[str]:
    return set(settings.HEALTH_REQUIRED_CHECKS)


def run_check(name: str) -> CheckResult:
    required = name in required_checks()
    check = _checks.get(name)
    if check is None:  # a required name nobody registered: a typo in the setting must not pass silently
        return CheckResult(False, 0.0, "no check of this name is registered", required)
    started = time.perf_counter()
    try:
        ok, detail = True, check() or "ok"
    except Exception as exc:  # a failing dependency is the answer, not an error
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    ms = round((time.perf_counter() - started) * 1000, 2)
    return CheckResult(ok, ms, str(detail)[:300], required)


def run_checks() -> tuple[bool, dict[str, CheckResult]]:
    """(every required check passed, one result per check, required ones first)."""
    names = sorted(required_checks()) + [name for name in _checks if name not in required_checks()]
    results = {name: run_check(name) for name in names}
    return all(r.ok for r in results.values() if r.required), results


def readiness(*, details: bool = True) -> tuple[int, dict]:
    """The HTTP status and body of /health/ready (the admin page shows the same).

    Without `details`, only the status and the names of the failing checks: each check's detail can name
    hosts, process ids, addresses and raw errors, which are for the operator only.
    """
    ok, results = run_checks()
    body = {
        "status": "ok" if ok else "fail",
        "failed": [name for name, r in results.items() if r.required and not r.ok],
        "degraded": [name for name, r in results.items() if not r.required and not r.ok],
    }
    if details:
        body["checks"] = {name: r.as_dict() for name, r in results.items()}
    return (200 if ok else 503), body


# --- the checks monitoring owns ------------------------------------------------------


def database_check() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def cache_check() -> str:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value just written")
    cache.delete(key)
    return "redis" if "redis" in settings.CACHES["default"]["BACKEND"].lower() else "local memory (this process)"
