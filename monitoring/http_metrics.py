"""HTTP requests per route and status class: how many, and how long they took.

The route is the URL pattern's name as the resolver knows it ("api-orders",
"health-live"), never the raw path: /api/v1/orders/17/ and /orders/18/ are one
series, and a scanner's made-up paths all count as "unmatched".
"""

import time

from . import perf_samples
from .metrics import counter, histogram

_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

requests_total = counter(
    "http_requests_total", "HTTP requests answered, by route, method and status class.", ("route", "method", "status")
)
request_seconds = histogram(
    "http_request_duration_seconds", "Time to answer an HTTP request, by route and method.", ("route", "method")
)


def route_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


def status_class(status: int) -> str:
    return f"{status // 100}xx"


class RequestMetricsMiddleware:
    """Near the top of MIDDLEWARE, so the time includes the other middleware and every answer is counted."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        route = route_of(request)
        method = request.method if request.method in _METHODS else "other"
        elapsed = time.perf_counter() - started
        request_seconds.labels(route, method).observe(elapsed)
        perf_samples.record("http", route, elapsed)  # the staff performance page's last hour
        requests_total.labels(route, method, status_class(response.status_code)).inc()
        return response
