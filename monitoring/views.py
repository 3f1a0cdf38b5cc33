import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from .health import readiness
from .metrics import exposition


@never_cache
@require_GET
def live(request):
    """200 while the process can serve a request; checks nothing else on purpose."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    """200, or 503 naming the required checks that failed; each check's detail and latency for the operator only."""
    status, body = readiness(details=operator_request(request))
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


def _address_allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for allowed in settings.METRICS_ALLOWED_IPS:
        try:
            if ip in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            continue
    return False


def _token_matches(request) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), settings.METRICS_TOKEN.encode())


def operator_request(request) -> bool:
    """The operator's tools (/metrics, health details): with METRICS_TOKEN set, a request bearing it, from
    anywhere; otherwise a request from METRICS_ALLOWED_IPS (REMOTE_ADDR, not X-Forwarded-For)."""
    if settings.METRICS_TOKEN:
        return _token_matches(request)
    return _address_allowed(request.META.get("REMOTE_ADDR", ""))


def _refused(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


@never_cache
@require_GET
def metrics(request):
    """Prometheus text format. With METRICS_TOKEN set, a bearer token is required (403 without it);
    otherwise only METRICS_ALLOWED_IPS may read it, and anyone else is told there is nothing here (404)."""
    if not operator_request(request):
        if settings.METRICS_TOKEN:
            return _refused(403, "permission_denied", "A valid metrics token is required.")
        return _refused(404, "not_found", "Not found.")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
