"""The staff performance page: the last hour's latency percentiles and throughput (perf_samples)."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import perf_samples

CHART_HEIGHT = 20
SECTIONS = (
    ("http", "HTTP requests by route", "Route"),
    ("task", "Celery tasks", "Task"),
    ("order", "Order flow (from the order's POST)", "Step"),
    ("broker", "Broker calls by endpoint", "Broker endpoint"),
)


def minute_bars(counts: list[int]) -> list[dict]:
    """One SVG bar per minute (x = minute, height scaled to the busiest minute); empty minutes get none."""
    peak = max(counts, default=0)
    if not peak:
        return []
    bars = []
    for x, count in enumerate(counts):
        if count:
            height = max(1.0, round(CHART_HEIGHT * count / peak, 2))
            bars.append({"x": x, "y": round(CHART_HEIGHT - height, 2), "height": height, "count": count})
    return bars


def _section(kind: str, title: str, column: str) -> dict:
    rows = [{"stats": stats, "bars": minute_bars(stats.minutes)} for stats in perf_samples.summary(kind)]
    return {"kind": kind, "title": title, "column": column, "rows": rows}


@never_cache
@require_GET
def admin_performance(request, admin_site):
    """Wrapped by the admin site's admin_view: staff only, others go to the admin login."""
    context = {
        **admin_site.each_context(request),
        "title": "Performance, last hour",
        "sections": [_section(*section) for section in SECTIONS],
        "window": perf_samples.WINDOW_MINUTES,
        "chart_width": perf_samples.WINDOW_MINUTES,
        "chart_height": CHART_HEIGHT,
    }
    return render(request, "admin/monitoring/performance.html", context)
