"""Error pages and the favicon: JSON in the error envelope under /api/, styled HTML elsewhere."""

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.csrf import requires_csrf_token

from core.api import error_body
from core.errors import CsrfFailed


def wants_json(request) -> bool:
    return request.path.startswith("/api/")


def favicon(request):
    # Resolved per request: with the production manifest storage, at import time it may not exist yet.
    return redirect(static("favicon.svg"), permanent=True)


@requires_csrf_token
def not_found(request, exception=None):
    if wants_json(request):
        return JsonResponse(error_body("not_found", "No such endpoint."), status=404)
    response = render(request, "errors/404.html", status=404)
    response.styled = True  # StyledNotFoundMiddleware leaves it as it is
    return response


@requires_csrf_token
def bad_request(request, exception=None):
    if wants_json(request):
        return JsonResponse(error_body("bad_request", "The request could not be understood."), status=400)
    return render(request, "errors/400.html", status=400)


@requires_csrf_token
def server_error(request):
    if wants_json(request):
        return JsonResponse(
            error_body("internal_error", "Something went wrong on our side; it has been logged."), status=500
        )
    return render(request, "errors/500.html", status=500)


def csrf_failure(request, reason=""):
    if wants_json(request):
        return JsonResponse(error_body(CsrfFailed.code, CsrfFailed.default_message), status=403)
    return render(request, "errors/403_csrf.html", status=403)
