"""Project-level views: the dashboard home and the error pages."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.csrf import requires_csrf_token

from marketdata.selectors import watchlist_for_user
from orders.selectors import funds_for_user
from trading.api import error_body
from trading.errors import NotFound


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def favicon(request):
    # Resolved per request: with the production manifest storage, at import time it may not exist yet.
    return redirect(static("favicon.svg"), permanent=True)


@login_required
def dashboard(request):
    try:
        funds = funds_for_user(user=request.user)
    except NotFound:
        funds = None  # no trading account yet: the page says so
    return render(request, "dashboard/index.html", {"items": watchlist_for_user(user=request.user), "funds": funds})


@requires_csrf_token
def not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body("not_found", "No such endpoint."), status=404)
    return render(request, "errors/404.html", status=404)


@requires_csrf_token
def bad_request(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body("bad_request", "The request could not be understood."), status=400)
    return render(request, "errors/400.html", status=400)


@requires_csrf_token
def server_error(request):
    if _wants_json(request):
        return JsonResponse(
            error_body("internal_error", "Something went wrong on our side; it has been logged."), status=500
        )
    return render(request, "errors/500.html", status=500)


def csrf_failure(request, reason=""):
    if _wants_json(request):
        return JsonResponse(
            error_body("csrf_failed", "CSRF check failed: send the X-CSRFToken header, or use a JWT."),
            status=403,
        )
    return render(request, "errors/403_csrf.html", status=403)
