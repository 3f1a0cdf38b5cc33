from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import run_checks


@never_cache
@require_GET
def live(request):
    """200 while the process can serve a request; checks nothing else on purpose."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    """One entry per dependency; 503 naming what failed. Non-critical failures only degrade."""
    ok, checks = run_checks()
    failed = sorted(name for name, result in checks.items() if not result["ok"])
    status = "unavailable" if not ok else ("degraded" if failed else "ok")
    body = {"status": status, "failed": failed, "checks": checks}
    return JsonResponse(body, status=200 if ok else 503)
