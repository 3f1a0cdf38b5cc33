from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import readiness


@never_cache
@require_GET
def live(request):
    """200 while the process can serve a request; checks nothing else on purpose."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    """One entry per dependency with its latency; 503 naming the required ones that failed."""
    status, body = readiness()
    return JsonResponse(body, status=status)


@never_cache
@require_GET
def admin_health(request, admin_site):
    """The same checks at a glance, for staff (wrapped by the admin site's admin_view)."""
    status, body = readiness()
    context = {
        **admin_site.each_context(request),
        "title": "System health",
        "healthy": status == 200,
        "failed": body["failed"],
        "checks": body["checks"],
    }
    return render(request, "admin/monitoring/health.html", context)
